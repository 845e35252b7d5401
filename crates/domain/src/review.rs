//! Go/no-go reviews (DESIGN.md "Review"): a policy of ordered stages, each
//! with rules naming who votes and how many go votes they need; the votes;
//! the decision they give; separation of duties; closing with or against
//! the decision.
//!
//! Counting is per rule and per distinct person: a person eligible through
//! two rules is one person, counted once in each rule, and their one vote
//! (the latest) counts wherever they are eligible. A stage is go when every
//! required rule has its go votes; no-go as soon as an eligible voter of a
//! required rule votes no-go; stage n + 1 opens only when stage n is go.

use crate::UserId;
use crate::release::Decision as ReleaseDecision;
use crate::role::Role;
use crate::template::LineError;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, HashMap};
use std::fmt;

/// What a review round is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewKind {
    Readiness,
    Milestone,
    GoNoGo,
}

impl ReviewKind {
    pub const ALL: [ReviewKind; 3] = [
        ReviewKind::Readiness,
        ReviewKind::Milestone,
        ReviewKind::GoNoGo,
    ];

    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            ReviewKind::Readiness => "readiness",
            ReviewKind::Milestone => "milestone",
            ReviewKind::GoNoGo => "go_no_go",
        }
    }

    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            ReviewKind::Readiness => "Readiness review",
            ReviewKind::Milestone => "Milestone review",
            ReviewKind::GoNoGo => "Business go/no-go",
        }
    }

    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s.trim())
    }
}

/// A vote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Choice {
    Go,
    NoGo,
    Abstain,
}

impl Choice {
    pub const ALL: [Choice; 3] = [Choice::Go, Choice::NoGo, Choice::Abstain];

    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Choice::Go => "go",
            Choice::NoGo => "no_go",
            Choice::Abstain => "abstain",
        }
    }

    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Choice::Go => "Go",
            Choice::NoGo => "No-go",
            Choice::Abstain => "Abstain",
        }
    }

    #[must_use]
    pub fn badge(self) -> &'static str {
        match self {
            Choice::Go => "badge-green",
            Choice::NoGo => "badge-red",
            Choice::Abstain => "badge-grey",
        }
    }

    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s.trim())
    }
}

/// The decision of a review: computed from the votes while it is open,
/// recorded when it is closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Pending,
    Go,
    NoGo,
}

impl Decision {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Pending => "pending",
            Decision::Go => "go",
            Decision::NoGo => "no_go",
        }
    }

    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Decision::Pending => "Pending",
            Decision::Go => "Go",
            Decision::NoGo => "No-go",
        }
    }

    #[must_use]
    pub fn badge(self) -> &'static str {
        match self {
            Decision::Pending => "badge-amber",
            Decision::Go => "badge-green",
            Decision::NoGo => "badge-red",
        }
    }

    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        [Decision::Pending, Decision::Go, Decision::NoGo]
            .into_iter()
            .find(|d| d.as_str() == s.trim())
    }

    /// The release decision a closed review makes (none while pending).
    #[must_use]
    pub fn release_decision(self) -> Option<ReleaseDecision> {
        match self {
            Decision::Pending => None,
            Decision::Go => Some(ReleaseDecision::Go),
            Decision::NoGo => Some(ReleaseDecision::NoGo),
        }
    }
}

/// Who a rule asks to vote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Voters {
    /// Named members of the tenant.
    Members(Vec<UserId>),
    /// Every member with this role.
    Role(Role),
}

/// How many distinct go votes a rule needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MinGo {
    /// At least this many (1 or more).
    Count(u32),
    /// Every eligible voter (unanimous).
    All,
}

/// One rule of a stage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rule {
    /// What people call it ("QA lead"); may be empty.
    #[serde(default)]
    pub name: String,
    pub voters: Voters,
    pub required: bool,
    pub min_go: MinGo,
}

/// One stage of a policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stage {
    pub name: String,
    pub rules: Vec<Rule>,
}

/// A decision policy: ordered stages. Stored with each review as it was
/// when the review was opened (JSON), so later edits of a preset do not
/// change a running or past review.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    pub stages: Vec<Stage>,
}

/// A tenant member as far as voting goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub user: UserId,
    pub role: Role,
    /// For messages and the policy text ("cab@acme.test").
    pub email: String,
    pub name: String,
}

/// Who may not vote on a review: its release's owner and its opener,
/// unless the tenant allows self-approval.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Duties {
    pub release_owner: Option<UserId>,
    pub opener: Option<UserId>,
    pub allow_self_approval: bool,
}

/// Why someone may not vote, or why they are not counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Conflicted {
    Owner,
    Opener,
}

impl Duties {
    /// Whether separation of duties keeps `user` from voting.
    #[must_use]
    pub fn conflicted(&self, user: UserId) -> Option<Conflicted> {
        if self.allow_self_approval {
            return None;
        }
        if self.release_owner == Some(user) {
            Some(Conflicted::Owner)
        } else if self.opener == Some(user) {
            Some(Conflicted::Opener)
        } else {
            None
        }
    }
}

pub const MAX_STAGES: usize = 10;
pub const MAX_RULES: usize = 20;
pub const MAX_COMMENT: usize = 2000;

impl Rule {
    /// The members this rule asks, before separation of duties: named
    /// members who are still members, or every member with the role; in
    /// both cases only those who may vote at all (never viewers).
    fn asked<'m>(&self, members: &'m [Member]) -> Vec<&'m Member> {
        members
            .iter()
            .filter(|m| m.role.can_vote())
            .filter(|m| match &self.voters {
                Voters::Members(ids) => ids.contains(&m.user),
                Voters::Role(role) => m.role == *role,
            })
            .collect()
    }

    /// Go votes needed from `eligible` voters.
    fn needed(&self, eligible: usize) -> usize {
        match self.min_go {
            MinGo::Count(n) => n as usize,
            MinGo::All => eligible.max(1),
        }
    }

    /// "2 of the approvers", "all of Ana Ortiz, Bo Chen", "1 of QA Lead".
    #[must_use]
    pub fn describe(&self, members: &[Member]) -> String {
        let how = match self.min_go {
            MinGo::Count(n) => n.to_string(),
            MinGo::All => "all".to_owned(),
        };
        let who = match &self.voters {
            Voters::Role(role) => format!("the {}s", role.label().to_lowercase()),
            Voters::Members(ids) => ids
                .iter()
                .map(|id| {
                    members
                        .iter()
                        .find(|m| m.user == *id)
                        .map_or_else(|| "a former member".to_owned(), |m| m.name.clone())
                })
                .collect::<Vec<_>>()
                .join(", "),
        };
        format!("{how} of {who}")
    }
}

/// A policy problem, in words for the page.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    #[error("a policy needs at least one stage")]
    NoStages,
    #[error("at most {MAX_STAGES} stages")]
    TooManyStages,
    #[error("stage “{0}” needs at least one required rule")]
    NoRequiredRule(String),
    #[error("stage “{0}” has more than {MAX_RULES} rules")]
    TooManyRules(String),
    #[error("stage “{stage}”: a rule needs at least 1 go vote")]
    ZeroGo { stage: String },
    #[error("stage “{stage}”: a rule names no one")]
    NoVoters { stage: String },
}

impl Policy {
    /// Checks the policy's shape (not who may vote: see [`Policy::undecidable`]).
    pub fn validate(&self) -> Result<(), PolicyError> {
        if self.stages.is_empty() {
            return Err(PolicyError::NoStages);
        }
        if self.stages.len() > MAX_STAGES {
            return Err(PolicyError::TooManyStages);
        }
        for stage in &self.stages {
            if stage.rules.len() > MAX_RULES {
                return Err(PolicyError::TooManyRules(stage.name.clone()));
            }
            if !stage.rules.iter().any(|r| r.required) {
                return Err(PolicyError::NoRequiredRule(stage.name.clone()));
            }
            for rule in &stage.rules {
                if rule.min_go == MinGo::Count(0) {
                    return Err(PolicyError::ZeroGo {
                        stage: stage.name.clone(),
                    });
                }
                if matches!(&rule.voters, Voters::Members(ids) if ids.is_empty()) {
                    return Err(PolicyError::NoVoters {
                        stage: stage.name.clone(),
                    });
                }
            }
        }
        Ok(())
    }

    /// Required rules that could never get their go votes from today's
    /// members under separation of duties, each in words ("Stage “CAB”,
    /// rule “2 of the approvers”: needs 2 go votes but only 1 person may
    /// vote (Ana Ortiz owns the release)"). A review is not opened with any.
    #[must_use]
    pub fn undecidable(&self, members: &[Member], duties: &Duties) -> Vec<String> {
        let mut out = Vec::new();
        for stage in &self.stages {
            for rule in stage.rules.iter().filter(|r| r.required) {
                let asked = rule.asked(members);
                let eligible: Vec<&Member> = asked
                    .iter()
                    .copied()
                    .filter(|m| duties.conflicted(m.user).is_none())
                    .collect();
                let needed = rule.needed(eligible.len());
                if eligible.len() >= needed && !eligible.is_empty() {
                    continue;
                }
                let label = rule_label(rule, members);
                let mut why = format!(
                    "Stage “{}”, rule “{label}”: needs {needed} go vote{} but {} may vote",
                    stage.name,
                    plural(needed),
                    match eligible.len() {
                        0 => "no one".to_owned(),
                        1 => "only 1 person".to_owned(),
                        n => format!("only {n} people"),
                    }
                );
                let excluded: Vec<String> = asked
                    .iter()
                    .filter_map(|m| {
                        duties.conflicted(m.user).map(|c| match c {
                            Conflicted::Owner => format!("{} owns the release", m.name),
                            Conflicted::Opener => format!("{} opens the review", m.name),
                        })
                    })
                    .collect();
                if !excluded.is_empty() {
                    why.push_str(&format!(
                        " ({}; the tenant does not allow self-approval)",
                        excluded.join(", ")
                    ));
                }
                out.push(why);
            }
        }
        out
    }

    /// Whether `user` is asked by any rule (before separation of duties).
    #[must_use]
    pub fn asks(&self, user: UserId, members: &[Member]) -> bool {
        self.stages
            .iter()
            .flat_map(|s| &s.rules)
            .any(|r| r.asked(members).iter().any(|m| m.user == user))
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// A rule's name, or its description when it has none.
#[must_use]
pub fn rule_label(rule: &Rule, members: &[Member]) -> String {
    if rule.name.trim().is_empty() {
        rule.describe(members)
    } else {
        rule.name.clone()
    }
}

/// Where a stage stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StageState {
    /// An earlier stage is not go yet.
    Waiting,
    Open,
    Go,
    NoGo,
}

impl StageState {
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            StageState::Waiting => "Waiting for the stage before",
            StageState::Open => "Voting",
            StageState::Go => "Go",
            StageState::NoGo => "No-go",
        }
    }

    #[must_use]
    pub fn badge(self) -> &'static str {
        match self {
            StageState::Waiting => "badge-grey",
            StageState::Open => "badge-amber",
            StageState::Go => "badge-green",
            StageState::NoGo => "badge-red",
        }
    }
}

/// One rule's count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleTally {
    pub label: String,
    pub description: String,
    pub required: bool,
    /// Go votes needed.
    pub needed: usize,
    /// Eligible voters (asked, minus separation of duties), by choice.
    pub go: Vec<UserId>,
    pub no_go: Vec<UserId>,
    pub abstain: Vec<UserId>,
    /// Eligible voters who have not voted.
    pub pending: Vec<UserId>,
    /// Asked but kept from voting by separation of duties.
    pub conflicted: Vec<(UserId, Conflicted)>,
    /// Has its go votes.
    pub met: bool,
    /// Can no longer get its go votes (too few eligible voters left).
    pub unreachable: bool,
}

impl RuleTally {
    /// Eligible voters.
    #[must_use]
    pub fn eligible(&self) -> usize {
        self.go.len() + self.no_go.len() + self.abstain.len() + self.pending.len()
    }
}

/// One stage's count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageTally {
    pub name: String,
    pub state: StageState,
    pub rules: Vec<RuleTally>,
}

/// The decision of a policy over the votes, with the count per stage and
/// rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tally {
    pub decision: Decision,
    pub stages: Vec<StageTally>,
}

impl Tally {
    /// The stage being voted on, if any.
    #[must_use]
    pub fn open_stage(&self) -> Option<&StageTally> {
        self.stages.iter().find(|s| s.state == StageState::Open)
    }

    /// People asked by an opened stage's rule who have not voted yet
    /// (each once, in the order of the rules).
    #[must_use]
    pub fn waiting_for(&self) -> Vec<UserId> {
        let mut seen = BTreeSet::new();
        self.stages
            .iter()
            .filter(|s| s.state == StageState::Open)
            .flat_map(|s| &s.rules)
            .flat_map(|r| &r.pending)
            .filter(|u| seen.insert(**u))
            .copied()
            .collect()
    }

    /// Distinct voters of the opened stages by their latest choice, and
    /// those still pending: (go, no_go, abstain, pending).
    #[must_use]
    pub fn people(&self) -> (usize, usize, usize, usize) {
        let mut by: HashMap<UserId, Option<Choice>> = HashMap::new();
        for s in self
            .stages
            .iter()
            .filter(|s| s.state != StageState::Waiting)
        {
            for r in &s.rules {
                for u in &r.go {
                    by.insert(*u, Some(Choice::Go));
                }
                for u in &r.no_go {
                    by.insert(*u, Some(Choice::NoGo));
                }
                for u in &r.abstain {
                    by.insert(*u, Some(Choice::Abstain));
                }
                for u in &r.pending {
                    by.entry(*u).or_insert(None);
                }
            }
        }
        let count = |c: Option<Choice>| by.values().filter(|v| **v == c).count();
        (
            count(Some(Choice::Go)),
            count(Some(Choice::NoGo)),
            count(Some(Choice::Abstain)),
            count(None),
        )
    }
}

/// The decision `policy` gives over `votes` (each voter's latest choice),
/// counting today's `members` under `duties`.
#[must_use]
pub fn decide(
    policy: &Policy,
    members: &[Member],
    duties: &Duties,
    votes: &HashMap<UserId, Choice>,
) -> Tally {
    let mut stages = Vec::with_capacity(policy.stages.len());
    let mut decision = None;
    for stage in &policy.stages {
        let rules: Vec<RuleTally> = stage
            .rules
            .iter()
            .map(|rule| count_rule(rule, members, duties, votes))
            .collect();
        let state = if decision.is_some() {
            StageState::Waiting
        } else if rules.iter().any(|r| r.required && !r.no_go.is_empty()) {
            decision = Some(Decision::NoGo);
            StageState::NoGo
        } else if rules.iter().any(|r| r.required)
            && rules.iter().filter(|r| r.required).all(|r| r.met)
        {
            // (A stage without a required rule, which `validate` refuses,
            // is never go: nothing in it says go.)
            StageState::Go
        } else {
            decision = Some(Decision::Pending);
            StageState::Open
        };
        stages.push(StageTally {
            name: stage.name.clone(),
            state,
            rules,
        });
    }
    // Go only when there was a stage to be go: a policy without stages
    // (refused by `validate`, or a stored one that failed to load) decides
    // nothing.
    let decision = match decision {
        Some(d) => d,
        None if stages.is_empty() => Decision::Pending,
        None => Decision::Go,
    };
    Tally { decision, stages }
}

fn count_rule(
    rule: &Rule,
    members: &[Member],
    duties: &Duties,
    votes: &HashMap<UserId, Choice>,
) -> RuleTally {
    let mut t = RuleTally {
        label: rule_label(rule, members),
        description: rule.describe(members),
        required: rule.required,
        needed: 0,
        go: Vec::new(),
        no_go: Vec::new(),
        abstain: Vec::new(),
        pending: Vec::new(),
        conflicted: Vec::new(),
        met: false,
        unreachable: false,
    };
    for m in rule.asked(members) {
        if let Some(c) = duties.conflicted(m.user) {
            t.conflicted.push((m.user, c));
            continue;
        }
        match votes.get(&m.user) {
            Some(Choice::Go) => t.go.push(m.user),
            Some(Choice::NoGo) => t.no_go.push(m.user),
            Some(Choice::Abstain) => t.abstain.push(m.user),
            None => t.pending.push(m.user),
        }
    }
    let eligible = t.eligible();
    t.needed = rule.needed(eligible);
    t.met = eligible > 0 && t.go.len() >= t.needed;
    // Everyone still able to say go: those pending plus those who said go
    // (a no-go or abstain can still be changed, so they count too).
    t.unreachable = !t.met && (eligible == 0 || eligible < t.needed);
    t
}

/// Why a vote is refused, in words for the page.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VoteRefused {
    #[error("This review is closed: its decision is recorded and votes can no longer change.")]
    Closed,
    #[error("You are not asked to vote on this review.")]
    NotAsked,
    #[error(
        "You own this release, so you may not vote on it (separation of duties; the tenant does not allow self-approval)."
    )]
    Owner,
    #[error(
        "You opened this review, so you may not vote on it (separation of duties; the tenant does not allow self-approval)."
    )]
    Opener,
    #[error("Your stage, “{0}”, opens when the stages before it are go.")]
    NotYet(String),
    #[error("A no-go vote needs a comment saying why.")]
    NoGoWithoutComment,
    #[error("Keep the comment to {MAX_COMMENT} characters at most.")]
    CommentTooLong,
}

/// A vote as cast: its choice and comment (trimmed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ballot {
    pub choice: Choice,
    pub comment: String,
}

impl Ballot {
    /// Checks the comment rules: no-go needs one; at most
    /// [`MAX_COMMENT`] characters.
    pub fn new(choice: Choice, comment: &str) -> Result<Self, VoteRefused> {
        let comment = comment.trim();
        if comment.chars().count() > MAX_COMMENT {
            return Err(VoteRefused::CommentTooLong);
        }
        if choice == Choice::NoGo && comment.is_empty() {
            return Err(VoteRefused::NoGoWithoutComment);
        }
        Ok(Self {
            choice,
            comment: comment.to_owned(),
        })
    }
}

/// Whether `user` may vote now on an open review with this `policy` and
/// the current `tally`: asked by some rule, not kept out by separation of
/// duties, and asked by a stage that is open or already decided.
pub fn may_vote(
    policy: &Policy,
    tally: &Tally,
    members: &[Member],
    duties: &Duties,
    user: UserId,
    closed: bool,
) -> Result<(), VoteRefused> {
    if closed {
        return Err(VoteRefused::Closed);
    }
    let member = members.iter().find(|m| m.user == user);
    if !member.is_some_and(|m| m.role.can_vote()) || !policy.asks(user, members) {
        return Err(VoteRefused::NotAsked);
    }
    match duties.conflicted(user) {
        Some(Conflicted::Owner) => return Err(VoteRefused::Owner),
        Some(Conflicted::Opener) => return Err(VoteRefused::Opener),
        None => {}
    }
    let mut first_stage = None;
    for (stage, st) in policy.stages.iter().zip(&tally.stages) {
        let asks = stage
            .rules
            .iter()
            .any(|r| r.asked(members).iter().any(|m| m.user == user));
        if asks {
            if st.state != StageState::Waiting {
                return Ok(());
            }
            first_stage.get_or_insert_with(|| stage.name.clone());
        }
    }
    Err(VoteRefused::NotYet(first_stage.unwrap_or_default()))
}

/// Why a review cannot be closed as asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CloseRefused {
    #[error("This review is already closed.")]
    Closed,
    #[error("Choose go or no-go.")]
    NoDecision,
    #[error(
        "The votes give {computed}: closing it {chosen} overrides them, so write the reason (it is recorded and shown)."
    )]
    ReasonNeeded {
        computed: &'static str,
        chosen: &'static str,
    },
    #[error("Keep the reason to {MAX_COMMENT} characters at most.")]
    ReasonTooLong,
}

/// How a review is closed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Closing {
    pub decision: Decision,
    /// Closed against the computed decision (then `reason` is set).
    pub overridden: bool,
    pub reason: String,
}

/// Closing a review as `chosen` when the votes give `computed`: against
/// them (also while pending) only with a written reason.
pub fn close(computed: Decision, chosen: Decision, reason: &str) -> Result<Closing, CloseRefused> {
    if chosen == Decision::Pending {
        return Err(CloseRefused::NoDecision);
    }
    let reason = reason.trim();
    if reason.chars().count() > MAX_COMMENT {
        return Err(CloseRefused::ReasonTooLong);
    }
    let overridden = chosen != computed;
    if overridden && reason.is_empty() {
        return Err(CloseRefused::ReasonNeeded {
            computed: computed.word(),
            chosen: chosen.word(),
        });
    }
    Ok(Closing {
        decision: chosen,
        overridden,
        reason: reason.to_owned(),
    })
}

impl Decision {
    /// Lower-case words for sentences ("pending", "go", "no-go").
    #[must_use]
    pub fn word(self) -> &'static str {
        match self {
            Decision::Pending => "pending",
            Decision::Go => "go",
            Decision::NoGo => "no-go",
        }
    }
}

// ---------------------------------------------------------------------------
// The policy editor's text
// ---------------------------------------------------------------------------

/// Writes `policy` in the editor's format ([`parse_policy`]), naming
/// members by email.
#[must_use]
pub fn policy_text(policy: &Policy, members: &[Member]) -> String {
    let mut out = String::new();
    for stage in &policy.stages {
        out.push_str(&format!("Stage: {}\n", stage.name));
        for rule in &stage.rules {
            out.push_str("  ");
            if !rule.name.trim().is_empty() {
                out.push_str(&format!("{}: ", rule.name));
            }
            out.push_str(if rule.required {
                "required "
            } else {
                "optional "
            });
            match rule.min_go {
                MinGo::Count(n) => out.push_str(&n.to_string()),
                MinGo::All => out.push_str("all"),
            }
            out.push_str(" of ");
            match &rule.voters {
                Voters::Role(role) => out.push_str(&role_plural(*role)),
                Voters::Members(ids) => {
                    let names: Vec<String> = ids
                        .iter()
                        .map(|id| {
                            members
                                .iter()
                                .find(|m| m.user == *id)
                                .map_or_else(|| id.to_string(), |m| m.email.clone())
                        })
                        .collect();
                    out.push_str(&names.join(", "));
                }
            }
            out.push('\n');
        }
    }
    out
}

fn role_plural(role: Role) -> String {
    format!("{}s", role.as_str())
}

fn parse_role(word: &str) -> Option<Role> {
    let w = word.trim().to_lowercase().replace([' ', '-'], "_");
    let w = w.strip_prefix("the_").unwrap_or(&w).to_owned();
    let w = w.strip_prefix("all_").unwrap_or(&w).to_owned();
    let singular = w.strip_suffix('s').unwrap_or(&w);
    [Role::Owner, Role::ReleaseManager, Role::Approver]
        .into_iter()
        .find(|r| r.as_str() == singular || r.as_str() == w)
}

/// Parses the policy editor's text:
///
/// ```text
/// Stage: QA
///   QA lead: required 1 of qa@acme.test
/// Stage: Business
///   required 2 of approvers
///   optional all of cab@acme.test, exec@acme.test
/// ```
///
/// A stage line, then its rules: an optional name and colon, `required` or
/// `optional`, a number or `all`, `of`, then a role (`approvers`,
/// `release_managers`, `owners`) or members' emails separated by commas.
/// Members are looked up in `members`; errors name their line.
pub fn parse_policy(text: &str, members: &[Member]) -> Result<Policy, Vec<LineError>> {
    let mut stages: Vec<Stage> = Vec::new();
    // The line of each stage, for the errors about a whole stage.
    let mut stage_lines: Vec<usize> = Vec::new();
    let mut errors = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        let content = raw.trim();
        if content.is_empty() || content.starts_with('#') {
            continue;
        }
        let mut err = |message: String| errors.push(LineError { line, message });
        if let Some(name) = stage_line(content) {
            let name = name.trim().trim_start_matches(':').trim();
            if name.is_empty() || name.chars().count() > 100 {
                err("name the stage (1 to 100 characters): “Stage: QA sign-off”".to_owned());
            } else if stages.len() == MAX_STAGES {
                err(format!("at most {MAX_STAGES} stages"));
            }
            stages.push(Stage {
                name: name.to_owned(),
                rules: Vec::new(),
            });
            stage_lines.push(line);
            continue;
        }
        let Some(stage) = stages.last_mut() else {
            err("start with a stage line, such as “Stage: Approval”".to_owned());
            continue;
        };
        match parse_rule(content, members) {
            Ok(rule) => {
                if stage.rules.len() == MAX_RULES {
                    err(format!("at most {MAX_RULES} rules in a stage"));
                } else {
                    stage.rules.push(rule);
                }
            }
            Err(message) => err(message),
        }
    }
    if stages.is_empty() && errors.is_empty() {
        errors.push(LineError {
            line: 1,
            message: "write at least one stage with a required rule".to_owned(),
        });
    }
    if errors.is_empty() {
        for (stage, line) in stages.iter().zip(&stage_lines) {
            if !stage.rules.iter().any(|r| r.required) {
                errors.push(LineError {
                    line: *line,
                    message: PolicyError::NoRequiredRule(stage.name.clone()).to_string(),
                });
            }
        }
    }
    let policy = Policy { stages };
    if errors.is_empty()
        && let Err(e) = policy.validate()
    {
        errors.push(LineError {
            line: text.lines().count().max(1),
            message: e.to_string(),
        });
    }
    if errors.is_empty() {
        Ok(policy)
    } else {
        Err(errors)
    }
}

fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    // `get`, not indexing: the line may hold any characters, and
    // `prefix.len()` need not fall on one's boundary.
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

/// The name on a stage line ("Stage: QA", or "Stage QA"); `None` for any
/// other line, including a rule whose name starts with the word
/// ("Stage gate: required 1 of approvers").
fn stage_line(content: &str) -> Option<&str> {
    if let Some(name) = strip_prefix_ci(content, "stage:") {
        return Some(name);
    }
    let name = strip_prefix_ci(content, "stage ")?;
    if named_rule(content).is_some() {
        None
    } else {
        Some(name)
    }
}

/// The next whitespace-separated word of `s` and what follows it.
fn next_word(s: &str) -> Option<(&str, &str)> {
    let s = s.trim_start();
    if s.is_empty() {
        return None;
    }
    let end = s.find(char::is_whitespace).unwrap_or(s.len());
    Some(s.split_at(end))
}

fn starts_with_keyword(body: &str) -> bool {
    next_word(body).is_some_and(|(w, _)| {
        w.eq_ignore_ascii_case("required") || w.eq_ignore_ascii_case("optional")
    })
}

/// A rule line with a name, split into the name and the rule itself. The
/// rule never holds a colon, so the name is all before the last one: it
/// may hold colons and the words "required" and "optional" itself.
fn named_rule(content: &str) -> Option<(&str, &str)> {
    let (name, body) = content.rsplit_once(':')?;
    starts_with_keyword(body).then_some((name.trim(), body))
}

const RULE_FORMAT: &str = "write a rule as “required 2 of approvers” or “optional all of ana@example.com, bo@example.com”, optionally named first (“QA lead: required 1 of qa@example.com”)";

fn parse_rule(content: &str, members: &[Member]) -> Result<Rule, String> {
    // An optional "Name:" before the keyword.
    let (name, body) = named_rule(content).unwrap_or(("", content));
    if name.chars().count() > 100 {
        return Err("keep a rule's name under 100 characters".to_owned());
    }
    let name = name.to_owned();
    let format = || RULE_FORMAT.to_owned();
    let (keyword, rest) = next_word(body).ok_or_else(format)?;
    let required = if keyword.eq_ignore_ascii_case("required") {
        true
    } else if keyword.eq_ignore_ascii_case("optional") {
        false
    } else {
        return Err(format());
    };
    let (how_many, rest) = next_word(rest).ok_or_else(format)?;
    let min_go = if how_many.eq_ignore_ascii_case("all") {
        MinGo::All
    } else {
        match how_many.parse::<u32>() {
            Ok(0) => return Err("a rule needs at least 1 go vote".to_owned()),
            Ok(n) if n <= 100 => MinGo::Count(n),
            _ => return Err(format()),
        }
    };
    let (of, rest) = next_word(rest).ok_or_else(format)?;
    if !of.eq_ignore_ascii_case("of") {
        return Err(format());
    }
    let who = rest.trim();
    if who.is_empty() {
        return Err(format());
    }
    let voters = if who.contains('@') {
        let mut ids = Vec::new();
        for email in who.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let Some(m) = members.iter().find(|m| m.email.eq_ignore_ascii_case(email)) else {
                return Err(format!("{email} is not a member of this organisation"));
            };
            if !m.role.can_vote() {
                return Err(format!(
                    "{email} is a viewer and cannot vote; make them an approver first"
                ));
            }
            if !ids.contains(&m.user) {
                ids.push(m.user);
            }
        }
        Voters::Members(ids)
    } else if let Some(role) = parse_role(who) {
        Voters::Role(role)
    } else {
        return Err(format!(
            "“{who}” is neither a role (approvers, release_managers, owners) nor members' emails"
        ));
    };
    if let (MinGo::Count(n), Voters::Members(ids)) = (min_go, &voters)
        && n as usize > ids.len()
    {
        return Err(format!(
            "{n} go votes from {} named member{} can never be reached",
            ids.len(),
            plural(ids.len())
        ));
    }
    Ok(Rule {
        name,
        voters,
        required,
        min_go,
    })
}

impl fmt::Display for Choice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests;
