//! Local emulator of Intercom REST API 2.16.
