//! Typed Intercom objects. Every model is lenient (all fields optional, ids and integers accepted as
//! numbers or numeric strings) and keeps unknown fields in `extra`, so a read-modify-write loses nothing.

pub mod admin;
pub mod article;
pub mod common;
pub mod company;
pub mod contact;
pub mod conversation;
pub mod data_attribute;
pub mod de;
pub mod note;
pub mod segment;
pub mod tag;
pub mod ticket;

pub use admin::*;
pub use article::*;
pub use common::*;
pub use company::*;
pub use contact::*;
pub use conversation::*;
pub use data_attribute::*;
pub use note::*;
pub use segment::*;
pub use tag::*;
pub use ticket::*;

/// Fields left out when serialising: absent options and empty lists.
pub(crate) trait OmitWhenEmpty {
    fn omit(&self) -> bool;
}

impl<T> OmitWhenEmpty for Option<T> {
    fn omit(&self) -> bool {
        self.is_none()
    }
}

impl<T> OmitWhenEmpty for Vec<T> {
    fn omit(&self) -> bool {
        self.is_empty()
    }
}

pub(crate) fn omit<T: OmitWhenEmpty>(v: &T) -> bool {
    v.omit()
}

/// Declares a lenient model: every field defaults when absent and is skipped when empty on output,
/// and unknown fields land in `extra`.
macro_rules! model {
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            $(
                $(#[$fmeta:meta])*
                pub $field:ident : $ty:ty
            ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Default, PartialEq, ::serde::Serialize, ::serde::Deserialize)]
        pub struct $name {
            $(
                $(#[$fmeta])*
                #[serde(default, skip_serializing_if = "crate::models::omit")]
                pub $field: $ty,
            )*
            /// Fields this crate does not model, kept verbatim.
            #[serde(flatten)]
            pub extra: ::serde_json::Map<String, ::serde_json::Value>,
        }
    };
}
pub(crate) use model;
