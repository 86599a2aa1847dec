//! Word lists and message templates that give the seeded workspace a realistic feel.
//! Everything here is original text written for the demo workspace "Lumen Analytics".

pub const WORKSPACE_NAME: &str = "Lumen Analytics";
pub const WORKSPACE_DOMAIN: &str = "lumen-analytics.io";
pub const TIME_ZONE: &str = "Europe/Dublin";
pub const HELP_CENTER_HOST: &str = "https://help.lumen-analytics.io";

pub const FIRST_NAMES: &[&str] = &[
    "Aoife", "Ben", "Carla", "Dmitri", "Elena", "Farah", "Gustavo", "Hana", "Ivan", "Jade",
    "Kwame", "Lena", "Mateo", "Nadia", "Oscar", "Priya", "Quentin", "Rosa", "Samir", "Tara",
    "Umar", "Vera", "Wes", "Ximena", "Yusuf", "Zoe", "Aaron", "Bianca", "Cian", "Daria", "Emeka",
    "Fiona", "Goran", "Helga", "Isla", "Jonas", "Keiko", "Liam", "Mei", "Niamh", "Olu", "Paolo",
    "Ravi", "Sofia", "Tomasz", "Ursula", "Viktor", "Wen", "Yara", "Zain", "Amara", "Bruno",
    "Chloe", "Diego", "Esme", "Felix", "Grace", "Hugo", "Ines", "Jakub",
];

pub const LAST_NAMES: &[&str] = &[
    "Murphy",
    "Okafor",
    "Schmidt",
    "Nakamura",
    "Rossi",
    "Kowalski",
    "Haddad",
    "Silva",
    "Novak",
    "Andersen",
    "Byrne",
    "Chen",
    "Dubois",
    "Eriksen",
    "Fernandez",
    "Gallagher",
    "Horvat",
    "Ibrahim",
    "Jansen",
    "Kelly",
    "Lindqvist",
    "Mendes",
    "Nguyen",
    "O'Brien",
    "Petrov",
    "Quinn",
    "Ramos",
    "Sato",
    "Toure",
    "Ueda",
    "Varga",
    "Walsh",
    "Xu",
    "Yilmaz",
    "Zielinski",
    "Abebe",
    "Brennan",
    "Costa",
    "Dimitrov",
    "Evans",
    "Fischer",
    "Garcia",
    "Hughes",
    "Iqbal",
    "Jovanovic",
    "Kim",
    "Larsen",
    "Moreau",
    "Nowak",
    "Oduya",
    "Park",
    "Reyes",
    "Santos",
    "Tanaka",
    "Ulrich",
    "Volkov",
    "Weber",
    "Young",
    "Zhang",
    "Adeyemi",
];

pub const COMPANY_PREFIXES: &[&str] = &[
    "Blue", "North", "Iron", "Silver", "Bright", "Cedar", "Harbor", "Summit", "Pixel", "Quantum",
    "Amber", "Granite", "Maple", "Orbit", "Copper", "Willow", "Falcon", "Coral", "Aspen", "Nimbus",
    "Beacon", "Delta", "Ember", "Fable", "Glacier", "Horizon", "Indigo", "Juniper", "Kestrel",
    "Lattice", "Meridian", "Nova", "Onyx", "Prairie", "Quarry", "Ridge", "Sable", "Tidal", "Umber",
    "Vertex",
];

pub const COMPANY_SUFFIXES: &[(&str, &str)] = &[
    ("Labs", "Software"),
    ("Logistics", "Transportation"),
    ("Health", "Healthcare"),
    ("Foods", "Food & Beverage"),
    ("Systems", "Software"),
    ("Studio", "Media"),
    ("Analytics", "Software"),
    ("Bank", "Financial Services"),
    ("Retail", "Retail"),
    ("Energy", "Energy"),
    ("Robotics", "Manufacturing"),
    ("Travel", "Hospitality"),
    ("Learning", "Education"),
    ("Insurance", "Financial Services"),
    ("Games", "Media"),
    ("Clinic", "Healthcare"),
    ("Outfitters", "Retail"),
    ("Freight", "Transportation"),
    ("Cloud", "Software"),
    ("Partners", "Professional Services"),
];

pub const PERSONAL_DOMAINS: &[&str] = &[
    "gmail.com",
    "outlook.com",
    "yahoo.com",
    "proton.me",
    "icloud.com",
    "hey.com",
    "fastmail.com",
];

/// (country, country code, continent code, region, city, phone prefix)
pub const LOCATIONS: &[(&str, &str, &str, &str, &str, &str)] = &[
    ("Ireland", "IRL", "EU", "Leinster", "Dublin", "+3531"),
    (
        "United States",
        "USA",
        "NA",
        "California",
        "San Francisco",
        "+1415",
    ),
    (
        "United States",
        "USA",
        "NA",
        "New York",
        "New York",
        "+1212",
    ),
    ("United States", "USA", "NA", "Texas", "Austin", "+1512"),
    ("United Kingdom", "GBR", "EU", "England", "London", "+4420"),
    ("Germany", "DEU", "EU", "Berlin", "Berlin", "+4930"),
    ("France", "FRA", "EU", "Ile-de-France", "Paris", "+331"),
    ("Brazil", "BRA", "SA", "Sao Paulo", "Sao Paulo", "+5511"),
    ("India", "IND", "AS", "Karnataka", "Bengaluru", "+9180"),
    ("Japan", "JPN", "AS", "Tokyo", "Tokyo", "+813"),
    (
        "Australia",
        "AUS",
        "OC",
        "New South Wales",
        "Sydney",
        "+612",
    ),
    ("Canada", "CAN", "NA", "Ontario", "Toronto", "+1416"),
    ("Nigeria", "NGA", "AF", "Lagos", "Lagos", "+2341"),
    ("Spain", "ESP", "EU", "Madrid", "Madrid", "+3491"),
    ("Poland", "POL", "EU", "Masovia", "Warsaw", "+4822"),
];

/// (browser, version, os)
pub const BROWSERS: &[(&str, &str, &str)] = &[
    ("chrome", "131.0.6778.86", "Mac OS X"),
    ("chrome", "130.0.6723.117", "Windows 10"),
    ("firefox", "133.0", "Windows 11"),
    ("safari", "18.1", "Mac OS X"),
    ("edge", "131.0.2903.63", "Windows 11"),
    ("chrome", "131.0.6778.81", "Android"),
    ("safari", "17.6", "iOS"),
];

/// (plan name, monthly spend range in dollars)
pub const PLANS: &[(&str, u32, u32)] = &[
    ("Starter", 49, 199),
    ("Growth", 300, 1500),
    ("Pro", 1500, 6000),
    ("Enterprise", 8000, 40000),
];

pub const SIGNUP_SOURCES: &[&str] = &[
    "organic_search",
    "paid_search",
    "referral",
    "webinar",
    "partner",
    "product_hunt",
    "direct",
];

pub const TEAM_NAMES: &[&str] = &[
    "Billing",
    "Technical Support",
    "Sales",
    "Onboarding",
    "Enterprise",
];

pub const JOB_TITLES: &[&str] = &[
    "Support Engineer",
    "Customer Success Manager",
    "Support Team Lead",
    "Account Executive",
    "Onboarding Specialist",
    "Billing Specialist",
    "Head of Support",
    "Solutions Engineer",
];

pub const TAG_NAMES: &[&str] = &[
    "billing",
    "bug",
    "feature-request",
    "vip",
    "churn-risk",
    "refund",
    "onboarding",
    "integration",
    "outage",
    "security",
    "invoice",
    "upgrade",
    "downgrade",
    "password-reset",
    "api",
    "mobile",
    "performance",
    "data-export",
    "positive-feedback",
    "escalated",
];

/// A kind of customer request: who handles it, how it is tagged and what people say.
pub struct Topic {
    pub team: &'static str,
    pub tags: &'static [&'static str],
    pub title: &'static str,
    /// Issue type, stored in the conversation's custom attributes.
    pub issue_type: &'static str,
    /// Weights for none/low/medium/high/urgent.
    pub priority_weights: [u32; 5],
    pub openers: &'static [&'static str],
    pub admin_replies: &'static [&'static str],
    pub user_followups: &'static [&'static str],
}

pub const TOPICS: &[Topic] = &[
    Topic {
        team: "Billing",
        tags: &["billing", "refund"],
        title: "Refund for duplicate charge",
        issue_type: "Billing",
        priority_weights: [30, 20, 35, 12, 3],
        openers: &[
            "Hi, I was charged twice for my subscription this month. Can you refund the duplicate payment?",
            "We see two identical charges on our card for the same invoice. Please refund one of them.",
            "Hello! Our finance team noticed a double charge on the last renewal. How do we get a refund?",
        ],
        admin_replies: &[
            "Sorry about that! I can see the duplicate charge and have issued a refund. It should appear within 5-10 business days.",
            "Thanks for flagging this. I've reversed the second payment; you'll get a confirmation email shortly.",
            "I've checked with our payments provider and the refund is on its way.",
        ],
        user_followups: &[
            "Thanks! Will I get a credit note for our records?",
            "Great, could you also send the updated invoice?",
            "It's been a week and I still don't see the refund.",
        ],
    },
    Topic {
        team: "Billing",
        tags: &["billing", "invoice"],
        title: "Invoice needs VAT number",
        issue_type: "Billing",
        priority_weights: [60, 25, 12, 3, 0],
        openers: &[
            "Can you add our VAT number to the invoices? Our accountant needs it.",
            "Where can I download past invoices? I need the last three for an audit.",
            "The billing address on our invoice is wrong, can you update it?",
        ],
        admin_replies: &[
            "Of course! You can add the VAT number under Settings > Billing, and I've regenerated your last invoice with it.",
            "All past invoices are under Settings > Billing > Invoices. I've also emailed you the last three as PDFs.",
            "I've updated the billing address; future invoices will use it.",
        ],
        user_followups: &[
            "Perfect, thank you.",
            "Can the old invoices be reissued too?",
            "The PDF still shows the old address.",
        ],
    },
    Topic {
        team: "Sales",
        tags: &["upgrade"],
        title: "Upgrade to annual plan",
        issue_type: "Sales",
        priority_weights: [50, 20, 20, 10, 0],
        openers: &[
            "We'd like to move to the annual Pro plan. Is there a discount for paying yearly?",
            "How much would it cost to add 25 more seats to our workspace?",
            "Do you offer volume pricing for teams above 100 people?",
        ],
        admin_replies: &[
            "Great to hear! Annual plans come with two months free. I've sent a quote to your inbox.",
            "Adding 25 seats on your current plan would be prorated; I've attached the exact figure.",
            "Yes, we do. I'll loop in our account executive to put together a proposal.",
        ],
        user_followups: &[
            "Thanks, can we get the quote in EUR?",
            "Looks good, how do we sign?",
            "Could we get a call this week to discuss?",
        ],
    },
    Topic {
        team: "Billing",
        tags: &["downgrade", "churn-risk"],
        title: "Downgrade request",
        issue_type: "Billing",
        priority_weights: [20, 20, 40, 18, 2],
        openers: &[
            "We need to downgrade to the Starter plan, budgets were cut this quarter.",
            "Please cancel our subscription at the end of the current period.",
            "We're not using half the seats. Can we reduce them before renewal?",
        ],
        admin_replies: &[
            "Sorry to hear that. Before I process the downgrade, would a temporary discount help?",
            "I've scheduled the change for the end of your billing period, nothing changes until then.",
            "Done: your seat count is reduced and the next invoice will reflect it.",
        ],
        user_followups: &[
            "A discount could work, what can you offer?",
            "Thanks for the quick help.",
            "Will we lose our saved dashboards?",
        ],
    },
    Topic {
        team: "Technical Support",
        tags: &["bug"],
        title: "Dashboard charts not loading",
        issue_type: "Bug",
        priority_weights: [15, 15, 35, 25, 10],
        openers: &[
            "Our dashboard charts are stuck on a spinner since this morning.",
            "The export to CSV button does nothing when I click it.",
            "Filters on the revenue report reset every time I reload the page.",
        ],
        admin_replies: &[
            "Thanks for reporting this. Could you send a screenshot and the browser you're using?",
            "I've reproduced the issue and raised it with our engineers. I'll keep you posted.",
            "A fix has been deployed; could you try again after clearing your cache?",
        ],
        user_followups: &[
            "Here's the screenshot. We're on Chrome 131.",
            "Still broken for me after the cache clear.",
            "Works now, thank you!",
        ],
    },
    Topic {
        team: "Technical Support",
        tags: &["outage", "performance"],
        title: "Reports are very slow",
        issue_type: "Bug",
        priority_weights: [5, 5, 20, 40, 30],
        openers: &[
            "Is there an outage? Nothing loads and our whole team is blocked.",
            "Reports take over a minute to load today, is something wrong?",
            "We're getting 502 errors on every page of the app.",
        ],
        admin_replies: &[
            "We're aware of degraded performance and our engineers are on it. Updates are on our status page.",
            "The incident has been resolved. Sorry for the disruption!",
            "Could you tell me which region your workspace is hosted in?",
        ],
        user_followups: &[
            "We're in the EU region.",
            "Thanks, it's fast again.",
            "This is the second time this month, can we get an incident report?",
        ],
    },
    Topic {
        team: "Technical Support",
        tags: &["api", "integration"],
        title: "API returns 401",
        issue_type: "Integration",
        priority_weights: [30, 15, 35, 15, 5],
        openers: &[
            "Our API calls started returning 401 Unauthorized after we rotated our token.",
            "Is there a rate limit on the events endpoint? We're seeing 429 responses.",
            "The webhook for new signups stopped firing yesterday.",
        ],
        admin_replies: &[
            "The old token was revoked when you rotated it. Make sure the new one is used in the Authorization header.",
            "Yes, the limit is 1,000 requests per minute per workspace. Batching events will help.",
            "I can see the webhook endpoint returned 410, which disabled it. Re-enable it from the Developer Hub.",
        ],
        user_followups: &[
            "That was it, thanks!",
            "Can the rate limit be raised for us?",
            "Re-enabled it, will monitor.",
        ],
    },
    Topic {
        team: "Technical Support",
        tags: &["integration"],
        title: "Salesforce sync failing",
        issue_type: "Integration",
        priority_weights: [30, 20, 30, 15, 5],
        openers: &[
            "The Salesforce integration keeps failing with a field mapping error.",
            "How do I connect Lumen to our Snowflake warehouse?",
            "Our Slack alerts stopped posting to the #metrics channel.",
        ],
        admin_replies: &[
            "The mapping error comes from a custom field that was deleted in Salesforce. Remapping it will fix the sync.",
            "Here's our guide to the Snowflake connector; you'll need a service user with read access.",
            "The Slack app lost access to the channel. Reinstalling it from Settings > Integrations fixes that.",
        ],
        user_followups: &[
            "Remapped, the sync is green again.",
            "Which permissions exactly does the service user need?",
            "Reinstalled, alerts are back. Thanks!",
        ],
    },
    Topic {
        team: "Technical Support",
        tags: &["password-reset", "security"],
        title: "Locked out of account",
        issue_type: "Account access",
        priority_weights: [20, 10, 40, 25, 5],
        openers: &[
            "I can't log in, the password reset email never arrives.",
            "I lost my phone and can't get past two-factor authentication.",
            "Someone on my team left, how do I transfer ownership of their dashboards?",
        ],
        admin_replies: &[
            "I've resent the reset email; please check your spam folder too.",
            "For security, I need to verify your identity. Could you reply from your account email address?",
            "You can transfer ownership under Settings > Members. I've done it for you this time.",
        ],
        user_followups: &[
            "Found it in spam, I'm in now.",
            "Replying from my work address now.",
            "Thanks, that saved me a lot of time.",
        ],
    },
    Topic {
        team: "Onboarding",
        tags: &["onboarding"],
        title: "Help setting up first dashboard",
        issue_type: "How-to",
        priority_weights: [70, 20, 10, 0, 0],
        openers: &[
            "We just signed up. What's the best way to import our historical data?",
            "How do I invite my teammates to the workspace?",
            "Can someone walk us through setting up our first dashboard?",
        ],
        admin_replies: &[
            "Welcome aboard! The CSV importer handles up to 5 million rows; larger imports go through the API.",
            "Go to Settings > Members and click Invite. You can set roles per person.",
            "Happy to! I've booked a 30-minute onboarding call, the invite is in your inbox.",
        ],
        user_followups: &[
            "The import worked, thanks!",
            "Can viewers create their own filters?",
            "See you on the call.",
        ],
    },
    Topic {
        team: "Sales",
        tags: &["feature-request"],
        title: "Feature request: scheduled exports",
        issue_type: "Feature request",
        priority_weights: [70, 25, 5, 0, 0],
        openers: &[
            "It would be great to schedule PDF exports of dashboards to email every Monday.",
            "Any plans for a dark mode? Our analysts work late.",
            "We'd love SSO with Okta. Is that on the roadmap?",
        ],
        admin_replies: &[
            "Thanks for the idea! I've passed it to our product team and added your vote.",
            "It's on our roadmap for next quarter; I'll let you know when it ships.",
            "SSO with Okta is available on the Enterprise plan. Want me to set up a trial?",
        ],
        user_followups: &[
            "Thanks, looking forward to it.",
            "Could we be part of the beta?",
            "Yes, a trial would be great.",
        ],
    },
    Topic {
        team: "Enterprise",
        tags: &["vip", "escalated"],
        title: "Escalation from account owner",
        issue_type: "Escalation",
        priority_weights: [5, 5, 25, 40, 25],
        openers: &[
            "Our executive dashboard showed wrong numbers in the board meeting. We need an explanation today.",
            "We need a signed DPA and SOC 2 report before our renewal next week.",
            "Our data hasn't refreshed for 24 hours and we have a launch tomorrow.",
        ],
        admin_replies: &[
            "I'm your dedicated contact for this and have escalated it to our engineering lead.",
            "I've sent the DPA for signature and shared the SOC 2 report through our trust portal.",
            "Our engineers found a stuck ingestion job and restarted it; your data is catching up now.",
        ],
        user_followups: &[
            "Thanks for the quick escalation.",
            "Received, our legal team will review.",
            "Numbers look right again. Please send a root cause analysis.",
        ],
    },
    Topic {
        team: "Technical Support",
        tags: &["mobile", "bug"],
        title: "Mobile app crash",
        issue_type: "Bug",
        priority_weights: [30, 20, 30, 15, 5],
        openers: &[
            "The iOS app crashes as soon as I open a dashboard.",
            "Push notifications on Android stopped working after the last update.",
            "The mobile app shows yesterday's numbers only.",
        ],
        admin_replies: &[
            "Thanks! Which app version are you on? You'll find it under Settings > About.",
            "This is a known issue in 4.12; version 4.13 with the fix is rolling out today.",
            "Pull down to refresh forces a sync; let me know if that doesn't help.",
        ],
        user_followups: &[
            "I'm on 4.12.1.",
            "Updated and it works.",
            "Refreshing didn't help.",
        ],
    },
    Topic {
        team: "Technical Support",
        tags: &["data-export"],
        title: "Full data export",
        issue_type: "How-to",
        priority_weights: [50, 30, 15, 5, 0],
        openers: &[
            "How can we export all our raw event data?",
            "We need a GDPR export of everything you store about one of our users.",
            "Please delete all data for a customer who asked to be forgotten.",
        ],
        admin_replies: &[
            "You can request a full export under Settings > Data. It's emailed when ready.",
            "I've started the export for that user; it will be ready within 48 hours.",
            "The deletion is complete and permanent. Here's the confirmation ID for your records.",
        ],
        user_followups: &[
            "Got the export, thanks.",
            "Is the export encrypted?",
            "Thank you for the confirmation.",
        ],
    },
    Topic {
        team: "Onboarding",
        tags: &["positive-feedback"],
        title: "Thank you note",
        issue_type: "Feedback",
        priority_weights: [95, 5, 0, 0, 0],
        openers: &[
            "Just wanted to say the new funnel report is fantastic. Great work!",
            "Your onboarding call last week was super helpful, thanks to the whole team.",
            "We hit our quarterly target and your dashboards helped a lot.",
        ],
        admin_replies: &[
            "That's wonderful to hear, thank you! I'll share it with the team.",
            "Thanks for taking the time to tell us!",
            "Congratulations on hitting the target!",
        ],
        user_followups: &["Keep it up!", "Will do.", "Thanks again."],
    },
];

pub const GENERIC_ADMIN_REPLIES: &[&str] = &[
    "Thanks for the details, I'm looking into it now.",
    "Let me check with the team and get back to you shortly.",
    "Is there anything else I can help with?",
    "I've updated your account; could you confirm it looks right on your side?",
];

pub const GENERIC_USER_REPLIES: &[&str] = &[
    "Any update on this?",
    "Thanks, that helps.",
    "Sure, here's more detail on what we see.",
    "Ok, I'll try that and let you know.",
];

pub const INTERNAL_NOTES: &[&str] = &[
    "Customer is on a renewal call next week, handle with care.",
    "Checked the logs: errors started after the 14:00 deploy.",
    "Looping in billing to confirm the refund amount.",
    "Same issue reported by two other accounts today.",
    "Account owner asked to be cc'd on updates.",
];

pub const RATING_REMARKS: &[(u8, &str)] = &[
    (5, "Super fast and friendly, thank you!"),
    (5, "Solved in minutes. Great support."),
    (4, "Helpful, though it took a while to get a reply."),
    (4, "Good answer, the docs could be clearer."),
    (3, "Problem solved but I had to explain it twice."),
    (2, "Took three days to get a real answer."),
    (1, "Still not fixed and nobody followed up."),
];

pub const CONTACT_NOTES: &[&str] = &[
    "Prefers email over chat. Decision maker for renewals.",
    "Evaluating a competitor; offered a product roadmap session.",
    "Power user, beta tester for the new funnel report.",
    "Asked for a quarterly business review.",
    "Had a billing dispute in the past, resolved with a credit.",
];

pub const SLA_NAMES: &[(&str, i64)] = &[
    ("VIP first response", 3600),
    ("Standard first response", 4 * 3600),
];

/// (title, description, body paragraphs) for help center articles.
pub const ARTICLES: &[(&str, &str, &[&str])] = &[
    (
        "Getting started with Lumen",
        "Set up your workspace in ten minutes.",
        &[
            "Create your workspace, invite your team and connect your first data source.",
            "Most teams see their first dashboard within ten minutes.",
        ],
    ),
    (
        "Importing historical data from CSV",
        "Upload up to 5 million rows at once.",
        &[
            "Use Settings > Data > Import to upload CSV files.",
            "Columns are matched by name; dates must be ISO 8601.",
        ],
    ),
    (
        "Inviting teammates and managing roles",
        "Admins, editors and viewers.",
        &[
            "Go to Settings > Members to invite people.",
            "Viewers can filter dashboards but cannot edit them.",
        ],
    ),
    (
        "Understanding your invoice",
        "What each line on your invoice means.",
        &[
            "Invoices list seats, add-ons and prorated changes.",
            "Add your VAT number under Settings > Billing.",
        ],
    ),
    (
        "Requesting a refund",
        "When and how refunds are issued.",
        &[
            "Duplicate charges are refunded automatically within 5-10 business days.",
            "For other refunds, contact our billing team.",
        ],
    ),
    (
        "Changing or cancelling your plan",
        "Upgrade, downgrade or cancel.",
        &[
            "Plan changes take effect at the end of the billing period.",
            "Downgrading keeps your dashboards but limits seats.",
        ],
    ),
    (
        "Resetting your password",
        "Regain access to your account.",
        &[
            "Click 'Forgot password' on the login page.",
            "Check your spam folder if the email does not arrive.",
        ],
    ),
    (
        "Setting up two-factor authentication",
        "Protect your account with 2FA.",
        &[
            "Enable 2FA under Profile > Security.",
            "Store your recovery codes somewhere safe.",
        ],
    ),
    (
        "Connecting Salesforce",
        "Sync accounts and opportunities.",
        &[
            "Authorize the Salesforce app from Settings > Integrations.",
            "Field mappings can be edited at any time.",
        ],
    ),
    (
        "Connecting Snowflake",
        "Query your warehouse directly.",
        &[
            "Create a service user with read access to the schemas you need.",
            "Queries run on your warehouse; costs apply there.",
        ],
    ),
    (
        "Slack alerts",
        "Get metric alerts in Slack.",
        &[
            "Install the Slack app and choose a channel per alert.",
            "Reinstall the app if alerts stop posting.",
        ],
    ),
    (
        "API authentication",
        "Tokens, scopes and rotation.",
        &[
            "Send your token in the Authorization header as a Bearer token.",
            "Rotating a token revokes the old one immediately.",
        ],
    ),
    (
        "API rate limits",
        "How many requests you can make.",
        &[
            "Each workspace can make 1,000 requests per minute.",
            "Responses include headers telling you how many remain.",
        ],
    ),
    (
        "Webhooks",
        "Get notified when things change.",
        &[
            "Webhooks are signed with your client secret.",
            "Endpoints answering 410 are disabled automatically.",
        ],
    ),
    (
        "Scheduling dashboard exports",
        "Email PDFs on a schedule.",
        &[
            "Scheduled exports are available on Pro and Enterprise.",
            "Choose daily, weekly or monthly delivery.",
        ],
    ),
    (
        "Exporting your data",
        "Full exports and GDPR requests.",
        &[
            "Request a full export under Settings > Data.",
            "Exports are encrypted and expire after 7 days.",
        ],
    ),
    (
        "Deleting a user's data",
        "Right to be forgotten.",
        &[
            "Deletion requests are processed within 30 days.",
            "You receive a confirmation ID once complete.",
        ],
    ),
    (
        "Using the mobile app",
        "Dashboards on the go.",
        &[
            "Available on iOS and Android.",
            "Pull down to refresh and sync the latest numbers.",
        ],
    ),
    (
        "Troubleshooting slow reports",
        "Why reports can be slow.",
        &[
            "Very large date ranges and many filters slow reports down.",
            "Check our status page for incidents.",
        ],
    ),
    (
        "Single sign-on with Okta",
        "SAML SSO for Enterprise.",
        &[
            "SSO is available on the Enterprise plan.",
            "Provision users automatically with SCIM.",
        ],
    ),
    (
        "Building a funnel report",
        "Measure conversion between steps.",
        &[
            "Pick the events that make up each step.",
            "Break down by any user property.",
        ],
    ),
    (
        "Sharing dashboards publicly",
        "Share read-only links.",
        &[
            "Public links can be revoked at any time.",
            "Password protection is available on Pro.",
        ],
    ),
    (
        "Data retention",
        "How long we keep your data.",
        &[
            "Raw events are kept for 25 months by default.",
            "Enterprise plans can configure retention.",
        ],
    ),
    (
        "Security and compliance",
        "SOC 2, GDPR and DPAs.",
        &[
            "Our SOC 2 Type II report is available in the trust portal.",
            "Sign a DPA from Settings > Legal.",
        ],
    ),
];
