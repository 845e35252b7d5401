//! What the demo portfolios are made of: product lines and products,
//! environments, windows, the release template, and the wording of
//! releases. Pure data; [`super::plan`] turns it into dated releases.

/// A product of the demo.
#[derive(Debug)]
pub struct ProductSpec {
    pub key: &'static str,
    pub name: &'static str,
    pub description: &'static str,
    /// Email of the owning member.
    pub owner: &'static str,
    /// A colour of `almanac_domain::product::PALETTE`.
    pub colour: &'static str,
    /// The version released just before the demo period (bumped by the
    /// first demo release).
    pub base_version: (u32, u32, u32),
    /// Titles of feature releases (major, minor), used in turn.
    pub features: &'static [&'static str],
    /// Titles of fix releases (patch, hotfix, emergency), used in turn.
    pub fixes: &'static [&'static str],
}

#[derive(Debug)]
pub struct LineSpec {
    pub name: &'static str,
    pub products: &'static [ProductSpec],
}

/// When a release's deployment to a pre-production environment happens,
/// relative to its go-live night.
#[derive(Debug, Clone, Copy)]
pub struct Stage {
    /// Days before the go-live night (moved back to Friday from a weekend).
    pub days_before: i64,
    /// Local hour of the first deployment of that day; later ones of the
    /// same night follow every two hours.
    pub hour: u32,
}

#[derive(Debug)]
pub struct EnvironmentSpec {
    pub name: &'static str,
    pub shared: bool,
    pub requires_window: bool,
    pub is_production: bool,
    /// `None` for production (deployed at go-live) and for environments
    /// releases do not pass through (dev).
    pub stage: Option<Stage>,
}

/// A recurring release window.
#[derive(Debug)]
pub struct RecurringSpec {
    pub name: &'static str,
    pub reason: &'static str,
    pub rrule: &'static str,
    /// The series starts this many months before today (on the next
    /// `first_weekday`, so INTERVAL=2 series have a fixed parity).
    pub months_back: u32,
    pub first_weekday: Option<chrono::Weekday>,
    pub start: (u32, u32),
    pub end: (u32, u32),
    pub capacity: Option<u32>,
    pub environments: &'static [&'static str],
}

/// Releases of several products that ship together on one night.
#[derive(Debug)]
pub struct TrainSpec {
    pub name: &'static str,
    pub description: &'static str,
    pub products: &'static [&'static str],
    /// Its night is the first window night at least this many days ahead.
    pub days_ahead: i64,
}

/// A go/no-go policy preset, written in the policy editor's text
/// (`almanac_domain::review::parse_policy`).
#[derive(Debug)]
pub struct PresetSpec {
    pub name: &'static str,
    pub description: &'static str,
    pub policy: &'static str,
}

/// Who takes part in the demo's go/no-go reviews, by email, and the
/// presets they use (by name).
#[derive(Debug)]
pub struct ReviewSpec {
    /// Opens and closes every round (a release manager).
    pub chair: &'static str,
    /// The QA lead, the CAB chair and the business owner: the voters.
    pub qa: &'static str,
    pub cab: &'static str,
    pub business: &'static str,
    /// The preset of most rounds, and of emergencies' and hotfixes'.
    pub standard: &'static str,
    pub emergency: &'static str,
}

/// A whole demo portfolio.
#[derive(Debug)]
pub struct Spec {
    pub slug: &'static str,
    pub lines: &'static [LineSpec],
    pub environments: &'static [EnvironmentSpec],
    /// The window go-lives are planned in.
    pub weekly: RecurringSpec,
    /// The window majors go live in, if any.
    pub major: Option<RecurringSpec>,
    /// Environments the year-end freeze covers.
    pub year_end: &'static [&'static str],
    /// A Black Friday freeze on production, and Thanksgiving's weekly
    /// window cancelled.
    pub black_friday: bool,
    /// Releases planned on window nights (the train and the release in
    /// progress come on top).
    pub releases: usize,
    pub train: Option<TrainSpec>,
    /// An emergency release of this product is being deployed right now.
    pub in_progress: Option<&'static str>,
    /// Past releases that were rolled back, and cancelled.
    pub rolled_back: usize,
    pub cancelled: usize,
    /// Each rolled-back release is followed by a hotfix of its product on
    /// the next window night (one to five days later).
    pub hotfix_after_rollback: bool,
    /// An upcoming release of this product is planned inside a freeze and
    /// blocked by it.
    pub blocked: Option<&'static str>,
    /// The latest release due at least a day ago was approved but missed
    /// its go-live night (late).
    pub missed_go_live: bool,
    /// Owner of most releases, and of every `other_every`-th one.
    pub release_owner: &'static str,
    pub other_owner: &'static str,
    pub other_every: usize,
    /// Owners of template milestones by name (the release owner otherwise).
    pub milestone_owners: &'static [(&'static str, &'static str)],
    /// How long a production deployment is planned to take.
    pub production_minutes: i64,
    /// The tenant's go/no-go policy presets.
    pub presets: &'static [PresetSpec],
    /// Go/no-go reviews on the releases, if any.
    pub reviews: Option<ReviewSpec>,
}

/// The release template both demo tenants use.
pub const TEMPLATE_NAME: &str = "Standard release";
pub const TEMPLATE_DESCRIPTION: &str = "The usual path of a release: code freeze a week ahead, \
     sign-offs, go/no-go the day before, and the go-live runbook.";
pub const TEMPLATE_MILESTONES: [(&str, &str); 6] = [
    ("Code freeze", "-7d 17:00"),
    ("QA sign-off", "-3d 17:00"),
    ("Readiness review", "-2d 10:00"),
    ("Go/no-go", "-1d 15:00"),
    ("Go-live", "0d"),
    ("Post-release review", "+2d 10:00"),
];
pub const TEMPLATE_STEPS: [&str; 8] = [
    "Confirm change ticket approved",
    "Notify stakeholders",
    "Take database backup",
    "Deploy to production",
    "Run smoke tests",
    "Verify monitoring dashboards",
    "Update release notes",
    "Close change ticket",
];

/// Notes on some releases, used in turn.
pub const NOTES: [&str; 6] = [
    "Feature flag stays off until the go/no-go; support is briefed.",
    "Needs the database migration of the previous release to have run everywhere.",
    "Marketing announces the change the morning after go-live.",
    "Vendor SDK upgrade included; their support is on call during the window.",
    "Rollback plan: redeploy the previous version, no data migration to undo.",
    "Performance test results attached to the change ticket.",
];
pub const LATE_NOTES: [&str; 3] = [
    "Moved to a later window: the penetration test report arrived late.",
    "Moved to a later window: the partner's certification environment was down.",
    "Moved to a later window: a blocking defect was found in the final regression run.",
];
pub const EARLY_NOTE: &str =
    "Brought forward to an earlier window: the changes were ready and the window had room.";
pub const HOTFIX_NOTE: &str =
    "Fixes what made the previous release roll back; deployed in the next window.";
pub const MISSED_NOTE: &str = "The go-live night was missed: the vendor's signing certificate \
     expired that day. Waiting for a new date.";
pub const BLOCKED_NOTE: &str = "Scheduled before the freeze was announced: move it to another \
     window, or break glass with a written reason.";
pub const RESCHEDULED_NOTE: &str =
    "Rejected at the first go/no-go (open defects); rescheduled to a later window.";
pub const ROLLED_BACK_NOTES: [&str; 3] = [
    "Rolled back: error rate rose above 2% within ten minutes of the switch-over.",
    "Rolled back: the smoke tests failed on the payment confirmation path.",
    "Rolled back: a connection pool limit was reached under evening load.",
];
pub const CANCELLED_NOTES: [&str; 3] = [
    "Cancelled: the scope moved into the next minor release.",
    "Cancelled: the vendor certification did not arrive in time.",
    "Cancelled: superseded by a hotfix.",
];
pub const IN_PROGRESS_NOTE: &str =
    "Emergency change approved by the on-call CAB member; deploying outside the weekly window.";

const RM: &str = "rm@acme.test";
const OWNER: &str = "owner@acme.test";
const CAB: &str = "cab@acme.test";
const QA: &str = "qa@acme.test";

const DIGITAL: [ProductSpec; 4] = [
    ProductSpec {
        key: "MOB",
        name: "Mobile App",
        description: "The iOS and Android banking app for retail customers.",
        owner: RM,
        colour: "#2457c5",
        base_version: (5, 7, 2),
        features: &[
            "Biometric sign-in refresh",
            "Spending insights",
            "Card controls in the app",
            "Dark mode",
            "Savings goals",
            "In-app chat with support",
            "Accessibility improvements",
            "New onboarding flow",
        ],
        fixes: &[
            "Fix crash on Android 14 when opening statements",
            "Fix push notification deep links",
            "Fix balance refresh after transfers",
        ],
    },
    ProductSpec {
        key: "WEB",
        name: "Web Banking",
        description: "Online banking for retail and small-business customers.",
        owner: RM,
        colour: "#4338ca",
        base_version: (3, 13, 0),
        features: &[
            "Redesigned dashboard",
            "Bulk payments upload",
            "Statement search",
            "Two-step approvals for business accounts",
            "Saved payees",
            "Session timeout warnings",
            "Export to CSV",
        ],
        fixes: &[
            "Fix statement PDF rendering",
            "Fix login redirect loop in Safari",
            "Fix timezone of scheduled payments",
        ],
    },
    ProductSpec {
        key: "API",
        name: "Open API",
        description: "Open-banking APIs for partners and aggregators (PSD2).",
        owner: OWNER,
        colour: "#0f766e",
        base_version: (2, 5, 1),
        features: &[
            "Account information v3",
            "Payment initiation webhooks",
            "Partner sandbox refresh",
            "Consent management endpoints",
            "Rate-limit headers",
            "Variable recurring payments",
        ],
        fixes: &[
            "Fix pagination of transaction lists",
            "Fix consent expiry calculation",
            "Fix OAuth token refresh race",
        ],
    },
    ProductSpec {
        key: "NOTIF",
        name: "Notifications",
        description: "Email, SMS and push notifications for every channel.",
        owner: RM,
        colour: "#7e22ce",
        base_version: (1, 8, 0),
        features: &[
            "Notification preferences centre",
            "Rich push for card transactions",
            "SMS provider failover",
            "Digest emails",
            "Template versioning",
        ],
        fixes: &[
            "Fix duplicate payment notifications",
            "Fix unsubscribe link encoding",
            "Fix SMS delivery receipts",
        ],
    },
];

const PAYMENTS: [ProductSpec; 4] = [
    ProductSpec {
        key: "PAY",
        name: "Payments",
        description: "Domestic and SEPA payments, standing orders and direct debits.",
        owner: OWNER,
        colour: "#1d6b34",
        base_version: (2, 2, 0),
        features: &[
            "Instant payments",
            "Request to pay",
            "Payment limits per channel",
            "ISO 20022 message migration",
            "Scheduled payment editing",
            "Confirmation of payee",
        ],
        fixes: &[
            "Fix cut-off time for same-day payments",
            "Fix rounding of fees",
            "Fix retry of rejected direct debits",
        ],
    },
    ProductSpec {
        key: "CARD",
        name: "Cards",
        description: "Debit and credit card issuing, controls and disputes.",
        owner: OWNER,
        colour: "#b3261e",
        base_version: (4, 0, 3),
        features: &[
            "Virtual cards",
            "Card freeze and unfreeze",
            "Dispute self-service",
            "Contactless limit changes",
            "Tokenisation for wallets",
        ],
        fixes: &[
            "Fix PIN reminder flow",
            "Fix authorisation hold release",
            "Fix card replacement address check",
        ],
    },
    ProductSpec {
        key: "FX",
        name: "Foreign Exchange",
        description: "Currency conversion, FX rates and international transfers.",
        owner: RM,
        colour: "#b45309",
        base_version: (1, 11, 0),
        features: &[
            "Live rate streaming",
            "Multi-currency accounts",
            "Rate alerts",
            "SWIFT gpi tracking",
            "Forward contracts for business",
        ],
        fixes: &[
            "Fix weekend rate spread",
            "Fix currency rounding for JPY",
            "Fix beneficiary bank lookup",
        ],
    },
    ProductSpec {
        key: "BILL",
        name: "Bill Pay",
        description: "Bill presentment and payment for utilities and card issuers.",
        owner: RM,
        colour: "#4d7c0f",
        base_version: (3, 1, 0),
        features: &[
            "E-bill enrolment",
            "Autopay rules",
            "Biller directory refresh",
            "Payment reminders",
            "Split bills",
        ],
        fixes: &[
            "Fix duplicate e-bill import",
            "Fix biller search accents",
            "Fix autopay date shift on holidays",
        ],
    },
];

const CORE: [ProductSpec; 4] = [
    ProductSpec {
        key: "LED",
        name: "Core Ledger",
        description: "The general ledger: postings, balances and end-of-day.",
        owner: CAB,
        colour: "#475569",
        base_version: (7, 3, 0),
        features: &[
            "Real-time balance projections",
            "End-of-day batch split",
            "Multi-entity postings",
            "Ledger archive tiering",
            "Posting API v2",
        ],
        fixes: &[
            "Fix end-of-day interest accrual",
            "Fix posting reversal audit trail",
            "Fix month-end lock contention",
        ],
    },
    ProductSpec {
        key: "ACCT",
        name: "Accounts",
        description: "Current and savings accounts, interest and statements.",
        owner: RM,
        colour: "#be185d",
        base_version: (5, 9, 1),
        features: &[
            "Joint account opening",
            "Interest tiers",
            "Account switching service",
            "Paperless statements",
            "Overdraft alerts",
        ],
        fixes: &[
            "Fix statement period for leap years",
            "Fix dormant account flag",
            "Fix overdraft fee waiver",
        ],
    },
    ProductSpec {
        key: "KYC",
        name: "Onboarding & KYC",
        description: "Customer onboarding, identity checks and periodic reviews.",
        owner: QA,
        colour: "#2457c5",
        base_version: (2, 8, 0),
        features: &[
            "Document scanning with liveness check",
            "Periodic review automation",
            "Business onboarding",
            "Sanctions screening upgrade",
            "Address verification provider",
        ],
        fixes: &[
            "Fix passport MRZ parsing",
            "Fix review reminder emails",
            "Fix duplicate customer matching",
        ],
    },
    ProductSpec {
        key: "RISK",
        name: "Risk Engine",
        description: "Fraud scoring and transaction monitoring.",
        owner: CAB,
        colour: "#b3261e",
        base_version: (1, 4, 2),
        features: &[
            "Device fingerprinting",
            "Model retraining pipeline",
            "Case management views",
            "Real-time velocity rules",
            "Mule account detection",
        ],
        fixes: &[
            "Fix false positives on payroll payments",
            "Fix rule cache invalidation",
            "Fix alert queue ordering",
        ],
    },
];

const ACME_LINES: [LineSpec; 3] = [
    LineSpec {
        name: "Digital Channels",
        products: &DIGITAL,
    },
    LineSpec {
        name: "Payments",
        products: &PAYMENTS,
    },
    LineSpec {
        name: "Core Banking",
        products: &CORE,
    },
];

const ACME_ENVIRONMENTS: [EnvironmentSpec; 4] = [
    EnvironmentSpec {
        name: "dev",
        shared: true,
        requires_window: false,
        is_production: false,
        stage: None,
    },
    EnvironmentSpec {
        name: "qa",
        shared: true,
        requires_window: false,
        is_production: false,
        stage: Some(Stage {
            days_before: 7,
            hour: 10,
        }),
    },
    EnvironmentSpec {
        name: "staging",
        shared: false,
        requires_window: false,
        is_production: false,
        stage: Some(Stage {
            days_before: 3,
            hour: 9,
        }),
    },
    EnvironmentSpec {
        name: "production",
        shared: false,
        requires_window: true,
        is_production: true,
        stage: None,
    },
];

pub const ACME: Spec = Spec {
    slug: "acme",
    lines: &ACME_LINES,
    environments: &ACME_ENVIRONMENTS,
    weekly: RecurringSpec {
        name: "Weekly production window",
        reason: "Standard change window agreed with operations and the CAB.",
        rrule: "FREQ=WEEKLY;BYDAY=TU,TH",
        months_back: 13,
        first_weekday: None,
        start: (22, 0),
        end: (2, 0),
        capacity: Some(3),
        environments: &["production"],
    },
    major: Some(RecurringSpec {
        name: "Major release window",
        reason: "Longer window for major releases, with the full support rota on site.",
        rrule: "FREQ=WEEKLY;INTERVAL=2;BYDAY=SA",
        months_back: 13,
        first_weekday: Some(chrono::Weekday::Sat),
        start: (6, 0),
        end: (12, 0),
        capacity: Some(2),
        environments: &["production"],
    }),
    year_end: &["qa", "staging", "production"],
    black_friday: true,
    releases: 122,
    train: Some(TrainSpec {
        name: "Spring digital launch",
        description: "The new mobile experience: app, open API and notifications go live together.",
        products: &["MOB", "API", "NOTIF"],
        days_ahead: 35,
    }),
    in_progress: Some("CARD"),
    rolled_back: 5,
    cancelled: 3,
    hotfix_after_rollback: true,
    blocked: Some("LED"),
    missed_go_live: true,
    release_owner: RM,
    other_owner: OWNER,
    other_every: 5,
    milestone_owners: &[("QA sign-off", QA), ("Go/no-go", CAB)],
    production_minutes: 120,
    presets: &ACME_PRESETS,
    reviews: Some(ReviewSpec {
        chair: RM,
        qa: QA,
        cab: CAB,
        business: OWNER,
        standard: "Standard CAB",
        emergency: "Emergency change",
    }),
};

const ACME_PRESETS: [PresetSpec; 2] = [
    PresetSpec {
        name: "Standard CAB",
        description: "QA signs off first; then two of the business approvers say go.",
        policy: "Stage: QA sign-off\n\
                 QA lead: required 1 of qa@acme.test\n\
                 Stage: Business\n\
                 Business approvers: required 2 of cab@acme.test, qa@acme.test, owner@acme.test\n",
    },
    PresetSpec {
        name: "Emergency change",
        description: "Emergencies and hotfixes outside the usual CAB: one approver on call says go.",
        policy: "Stage: Emergency approval\n\
                 On-call approver: required 1 of approvers\n",
    },
];

const GLOBEX_PRODUCTS: [ProductSpec; 3] = [
    ProductSpec {
        key: "SHOP",
        name: "Storefront",
        description: "The web shop: catalogue, search and product pages.",
        owner: "rm@globex.test",
        colour: "#0f766e",
        base_version: (4, 2, 0),
        features: &[
            "Faceted search",
            "Product comparison",
            "Wish lists",
            "Faster product pages",
        ],
        fixes: &["Fix price display for bundles", "Fix search paging"],
    },
    ProductSpec {
        key: "CHK",
        name: "Checkout",
        description: "Basket, checkout and payment providers.",
        owner: "rm@globex.test",
        colour: "#b45309",
        base_version: (2, 6, 0),
        features: &["One-page checkout", "Buy now, pay later", "Saved addresses"],
        fixes: &["Fix VAT on shipping", "Fix coupon stacking"],
    },
    ProductSpec {
        key: "INV",
        name: "Inventory",
        description: "Stock levels, warehouses and supplier feeds.",
        owner: "rm@globex.test",
        colour: "#475569",
        base_version: (1, 3, 0),
        features: &[
            "Warehouse transfers",
            "Supplier feed v2",
            "Low-stock forecasts",
        ],
        fixes: &["Fix reserved stock release", "Fix feed import encoding"],
    },
];

const GLOBEX_LINES: [LineSpec; 1] = [LineSpec {
    name: "Commerce",
    products: &GLOBEX_PRODUCTS,
}];

const GLOBEX_ENVIRONMENTS: [EnvironmentSpec; 2] = [
    EnvironmentSpec {
        name: "test",
        shared: true,
        requires_window: false,
        is_production: false,
        stage: Some(Stage {
            days_before: 2,
            hour: 10,
        }),
    },
    EnvironmentSpec {
        name: "production",
        shared: false,
        requires_window: true,
        is_production: true,
        stage: None,
    },
];

pub const GLOBEX: Spec = Spec {
    slug: "globex",
    lines: &GLOBEX_LINES,
    environments: &GLOBEX_ENVIRONMENTS,
    weekly: RecurringSpec {
        name: "Weekly production window",
        reason: "Wednesday evening, after the shops' busiest hours.",
        rrule: "FREQ=WEEKLY;BYDAY=WE",
        months_back: 13,
        first_weekday: None,
        start: (21, 0),
        end: (23, 0),
        capacity: Some(2),
        environments: &["production"],
    },
    major: None,
    year_end: &["production"],
    black_friday: false,
    releases: 10,
    train: None,
    in_progress: None,
    rolled_back: 1,
    cancelled: 0,
    hotfix_after_rollback: false,
    blocked: None,
    missed_go_live: false,
    release_owner: "rm@globex.test",
    other_owner: "rm@globex.test",
    other_every: 0,
    milestone_owners: &[],
    production_minutes: 60,
    presets: &[PresetSpec {
        name: "Change approval",
        description: "One approver says go before a go-live.",
        policy: "Stage: Approval\n\
                 required 1 of approvers\n",
    }],
    // Globex's only member is its release manager, who may not approve
    // their own releases: no reviews there.
    reviews: None,
};

/// Every demo portfolio, by tenant.
pub const SPECS: [&Spec; 2] = [&ACME, &GLOBEX];

impl Spec {
    /// Every product, line by line.
    pub fn products(&self) -> impl Iterator<Item = &'static ProductSpec> + use<> {
        self.lines.iter().flat_map(|l| l.products.iter())
    }

    /// The product with `key`.
    pub fn product(&self, key: &str) -> Option<&'static ProductSpec> {
        self.products().find(|p| p.key == key)
    }

    /// The production environment's name.
    pub fn production(&self) -> Option<&'static &'static str> {
        self.environments
            .iter()
            .find(|e| e.is_production)
            .map(|e| &e.name)
    }

    /// The environments releases pass through before production.
    pub fn stages(&self) -> Vec<&'static str> {
        self.environments
            .iter()
            .filter(|e| e.stage.is_some())
            .map(|e| e.name)
            .collect()
    }
}
