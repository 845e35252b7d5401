//! Go/no-go reviews: quorum edges, unanimity, role and named voters,
//! required and optional rules, stages, per-rule counting of one person,
//! separation of duties, undecidable policies, who may vote, ballots,
//! closing, the policy editor's text, and property tests of the decision
//! and the text round trip.

use super::*;
use proptest::prelude::*;
use uuid::Uuid;

use Choice::{Abstain, Go, NoGo};

fn user(n: u128) -> UserId {
    UserId(Uuid::from_u128(n))
}

fn users(ns: &[u128]) -> Vec<UserId> {
    ns.iter().map(|n| user(*n)).collect()
}

// The tenant's people.
const ANA: u128 = 1; // approver
const BO: u128 = 2; // approver
const CY: u128 = 3; // approver
const DEE: u128 = 4; // release manager
const ED: u128 = 5; // owner
const VI: u128 = 6; // viewer
const QA: u128 = 7; // approver, qa@acme.test
const CAB: u128 = 8; // release manager, cab@acme.test
const EXEC: u128 = 9; // owner, exec@acme.test
const GONE: u128 = 99; // left the tenant

fn member(n: u128, role: Role, email: &str, name: &str) -> Member {
    Member {
        user: user(n),
        role,
        email: email.to_owned(),
        name: name.to_owned(),
    }
}

fn members() -> Vec<Member> {
    vec![
        member(ANA, Role::Approver, "ana@acme.test", "Ana Ortiz"),
        member(BO, Role::Approver, "bo@acme.test", "Bo Chen"),
        member(CY, Role::Approver, "cy@acme.test", "Cy Diaz"),
        member(DEE, Role::ReleaseManager, "dee@acme.test", "Dee Evans"),
        member(ED, Role::Owner, "ed@acme.test", "Ed Fox"),
        member(VI, Role::Viewer, "vi@acme.test", "Vi Gray"),
        member(QA, Role::Approver, "qa@acme.test", "Quinn Hale"),
        member(CAB, Role::ReleaseManager, "cab@acme.test", "Cab Chair"),
        member(EXEC, Role::Owner, "exec@acme.test", "Eve Xu"),
    ]
}

fn named(ns: &[u128]) -> Voters {
    Voters::Members(users(ns))
}

fn required(min_go: MinGo, voters: Voters) -> Rule {
    Rule {
        name: String::new(),
        voters,
        required: true,
        min_go,
    }
}

fn optional(min_go: MinGo, voters: Voters) -> Rule {
    Rule {
        required: false,
        ..required(min_go, voters)
    }
}

fn called(name: &str, rule: Rule) -> Rule {
    Rule {
        name: name.to_owned(),
        ..rule
    }
}

fn stage(name: &str, rules: Vec<Rule>) -> Stage {
    Stage {
        name: name.to_owned(),
        rules,
    }
}

fn one_stage(rules: Vec<Rule>) -> Policy {
    Policy {
        stages: vec![stage("Approval", rules)],
    }
}

fn votes(v: &[(u128, Choice)]) -> HashMap<UserId, Choice> {
    v.iter().map(|(n, c)| (user(*n), *c)).collect()
}

fn decide_with(policy: &Policy, duties: &Duties, v: &[(u128, Choice)]) -> Tally {
    decide(policy, &members(), duties, &votes(v))
}

fn tally(policy: &Policy, v: &[(u128, Choice)]) -> Tally {
    decide_with(policy, &Duties::default(), v)
}

fn states(t: &Tally) -> Vec<StageState> {
    t.stages.iter().map(|s| s.state).collect()
}

fn owner_is(n: u128) -> Duties {
    Duties {
        release_owner: Some(user(n)),
        ..Duties::default()
    }
}

// ------------------------------------------------------------ quorum

#[test]
fn a_count_quorum_is_pending_one_vote_short_and_go_when_reached() {
    let three = || named(&[ANA, BO, CY]);
    // (case, min_go, votes, decision)
    let table = [
        (
            "1 of 3, nobody voted",
            MinGo::Count(1),
            vec![],
            Decision::Pending,
        ),
        (
            "1 of 3, one go",
            MinGo::Count(1),
            vec![(ANA, Go)],
            Decision::Go,
        ),
        (
            "2 of 3, one go",
            MinGo::Count(2),
            vec![(ANA, Go)],
            Decision::Pending,
        ),
        (
            "2 of 3, two go",
            MinGo::Count(2),
            vec![(ANA, Go), (CY, Go)],
            Decision::Go,
        ),
        (
            "2 of 3, three go",
            MinGo::Count(2),
            vec![(ANA, Go), (BO, Go), (CY, Go)],
            Decision::Go,
        ),
        (
            "3 of 3, two go",
            MinGo::Count(3),
            vec![(ANA, Go), (BO, Go)],
            Decision::Pending,
        ),
        (
            "3 of 3, three go",
            MinGo::Count(3),
            vec![(ANA, Go), (BO, Go), (CY, Go)],
            Decision::Go,
        ),
        (
            "2 of 3, one go and two abstain: abstain is not go",
            MinGo::Count(2),
            vec![(ANA, Go), (BO, Abstain), (CY, Abstain)],
            Decision::Pending,
        ),
        (
            "1 of 3, everyone abstains",
            MinGo::Count(1),
            vec![(ANA, Abstain), (BO, Abstain), (CY, Abstain)],
            Decision::Pending,
        ),
        (
            "2 of 3, go votes from people the rule does not ask",
            MinGo::Count(2),
            vec![(ANA, Go), (DEE, Go), (ED, Go), (QA, Go)],
            Decision::Pending,
        ),
    ];
    for (case, min_go, v, expected) in table {
        let t = tally(&one_stage(vec![required(min_go, three())]), &v);
        assert_eq!(t.decision, expected, "{case}");
        let rule = &t.stages[0].rules[0];
        let gos = v
            .iter()
            .filter(|(n, c)| *c == Go && [ANA, BO, CY].contains(n))
            .count();
        assert_eq!(rule.go.len(), gos, "{case}: go votes counted");
        assert_eq!(rule.eligible(), 3, "{case}");
        assert_eq!(rule.met, expected == Decision::Go, "{case}");
        if let MinGo::Count(n) = min_go {
            assert_eq!(rule.needed, n as usize, "{case}");
        }
    }
}

#[test]
fn a_rule_tally_sorts_its_voters_by_choice() {
    let t = tally(
        &one_stage(vec![required(
            MinGo::Count(2),
            Voters::Role(Role::Approver),
        )]),
        &[(ANA, Go), (BO, NoGo), (CY, Abstain)],
    );
    let rule = &t.stages[0].rules[0];
    assert_eq!(rule.go, users(&[ANA]));
    assert_eq!(rule.no_go, users(&[BO]));
    assert_eq!(rule.abstain, users(&[CY]));
    assert_eq!(rule.pending, users(&[QA]));
    assert!(rule.conflicted.is_empty());
    assert_eq!(rule.eligible(), 4);
    assert_eq!(rule.description, "2 of the approvers");
    assert_eq!(rule.label, "2 of the approvers");
    assert!(rule.required);
}

#[test]
fn unanimity_needs_every_eligible_voter_and_one_abstain_keeps_it_pending() {
    let policy = one_stage(vec![required(MinGo::All, named(&[ANA, BO, CY]))]);
    // (case, votes, decision)
    let table = [
        (
            "all three go",
            vec![(ANA, Go), (BO, Go), (CY, Go)],
            Decision::Go,
        ),
        (
            "one abstains",
            vec![(ANA, Go), (BO, Go), (CY, Abstain)],
            Decision::Pending,
        ),
        (
            "one has not voted",
            vec![(ANA, Go), (BO, Go)],
            Decision::Pending,
        ),
        (
            "one says no-go",
            vec![(ANA, Go), (BO, Go), (CY, NoGo)],
            Decision::NoGo,
        ),
        ("nobody voted", vec![], Decision::Pending),
    ];
    for (case, v, expected) in table {
        let t = tally(&policy, &v);
        assert_eq!(t.decision, expected, "{case}");
        assert_eq!(
            t.stages[0].rules[0].needed, 3,
            "{case}: all of three is three"
        );
    }
}

#[test]
fn unanimity_over_a_role_counts_every_member_with_the_role() {
    let policy = one_stage(vec![required(MinGo::All, Voters::Role(Role::Approver))]);
    let three = tally(&policy, &[(ANA, Go), (BO, Go), (CY, Go)]);
    assert_eq!(three.decision, Decision::Pending, "QA is an approver too");
    assert_eq!(three.stages[0].rules[0].needed, 4);
    let four = tally(&policy, &[(ANA, Go), (BO, Go), (CY, Go), (QA, Go)]);
    assert_eq!(four.decision, Decision::Go);
}

// ------------------------------------------------------------ who is asked

#[test]
fn a_role_rule_counts_every_member_with_that_role_and_nobody_else() {
    // (role, who it asks, in the members' order)
    let table = [
        (Role::Approver, vec![ANA, BO, CY, QA]),
        (Role::ReleaseManager, vec![DEE, CAB]),
        (Role::Owner, vec![ED, EXEC]),
    ];
    for (role, asked) in table {
        let policy = one_stage(vec![required(MinGo::Count(1), Voters::Role(role))]);
        let t = tally(&policy, &[]);
        assert_eq!(t.stages[0].rules[0].pending, users(&asked), "{role}");
        // Everyone else's go counts for nothing.
        let others: Vec<(u128, Choice)> = [ANA, BO, CY, DEE, ED, VI, QA, CAB, EXEC, GONE]
            .into_iter()
            .filter(|n| !asked.contains(n))
            .map(|n| (n, Go))
            .collect();
        let t = tally(&policy, &others);
        assert_eq!(t.decision, Decision::Pending, "{role}: others' go votes");
        assert!(t.stages[0].rules[0].go.is_empty(), "{role}");
        let t = tally(&policy, &[(asked[asked.len() - 1], Go)]);
        assert_eq!(t.decision, Decision::Go, "{role}: one of its own");
    }
}

#[test]
fn viewers_are_never_counted_even_when_a_rule_names_them() {
    // A viewer named in a rule (made a viewer after the review opened) or a
    // rule over the viewer role (a hand-made policy) asks no one.
    let by_name = one_stage(vec![required(MinGo::Count(1), named(&[VI, ANA]))]);
    let t = tally(&by_name, &[(VI, Go)]);
    assert_eq!(t.decision, Decision::Pending);
    assert_eq!(t.stages[0].rules[0].eligible(), 1);
    assert_eq!(tally(&by_name, &[(ANA, Go)]).decision, Decision::Go);
    assert_eq!(tally(&by_name, &[(VI, NoGo)]).decision, Decision::Pending);

    let by_role = one_stage(vec![required(MinGo::Count(1), Voters::Role(Role::Viewer))]);
    let t = tally(&by_role, &[(VI, Go)]);
    assert_eq!(t.decision, Decision::Pending);
    assert_eq!(t.stages[0].rules[0].eligible(), 0);
    assert!(t.stages[0].rules[0].unreachable);
    let unanimous = one_stage(vec![required(MinGo::All, Voters::Role(Role::Viewer))]);
    assert_eq!(tally(&unanimous, &[(VI, Go)]).decision, Decision::Pending);
    assert!(!by_role.asks(user(VI), &members()));
}

#[test]
fn named_members_who_left_or_became_viewers_are_not_counted() {
    let policy = one_stage(vec![required(MinGo::Count(1), named(&[GONE, VI, BO]))]);
    let t = tally(&policy, &[(GONE, Go), (VI, Go)]);
    assert_eq!(t.decision, Decision::Pending);
    let rule = &t.stages[0].rules[0];
    assert_eq!(rule.eligible(), 1);
    assert_eq!(rule.pending, users(&[BO]));
    assert_eq!(rule.description, "1 of a former member, Vi Gray, Bo Chen");
    assert_eq!(tally(&policy, &[(BO, Go)]).decision, Decision::Go);

    // "All" means all of those who still may vote.
    let all = one_stage(vec![required(MinGo::All, named(&[GONE, VI, BO]))]);
    let t = tally(&all, &[(BO, Go)]);
    assert_eq!(t.decision, Decision::Go);
    assert_eq!(t.stages[0].rules[0].needed, 1);

    // Two go votes from two named people, one of whom left, can never come.
    let two = one_stage(vec![required(MinGo::Count(2), named(&[GONE, BO]))]);
    let t = tally(&two, &[(BO, Go), (GONE, Go)]);
    assert_eq!(t.decision, Decision::Pending);
    assert!(t.stages[0].rules[0].unreachable);
    assert!(
        !tally(
            &one_stage(vec![required(MinGo::Count(2), named(&[ANA, BO]))]),
            &[]
        )
        .stages[0]
            .rules[0]
            .unreachable
    );
}

#[test]
fn a_rule_naming_someone_twice_counts_them_once() {
    let policy = one_stage(vec![required(MinGo::Count(2), named(&[ANA, ANA, BO]))]);
    let t = tally(&policy, &[(ANA, Go)]);
    assert_eq!(t.decision, Decision::Pending);
    assert_eq!(t.stages[0].rules[0].go, users(&[ANA]));
    assert_eq!(t.stages[0].rules[0].eligible(), 2);
}

// ------------------------------------------------------------ required and optional

#[test]
fn a_no_go_from_a_required_rule_decides_the_stage_no_go() {
    let policy = one_stage(vec![
        required(MinGo::Count(1), named(&[ANA])),
        required(MinGo::Count(1), named(&[BO, CY])),
    ]);
    // (case, votes, decision)
    let table = [
        (
            "both rules met, one no-go",
            vec![(ANA, Go), (BO, Go), (CY, NoGo)],
            Decision::NoGo,
        ),
        (
            "a lone no-go before anyone else votes",
            vec![(CY, NoGo)],
            Decision::NoGo,
        ),
        (
            "no-go in the first rule",
            vec![(ANA, NoGo), (BO, Go)],
            Decision::NoGo,
        ),
        (
            "both rules met",
            vec![(ANA, Go), (BO, Go), (CY, Abstain)],
            Decision::Go,
        ),
    ];
    for (case, v, expected) in table {
        let t = tally(&policy, &v);
        assert_eq!(t.decision, expected, "{case}");
        let state = match expected {
            Decision::NoGo => StageState::NoGo,
            Decision::Go => StageState::Go,
            Decision::Pending => StageState::Open,
        };
        assert_eq!(states(&t), vec![state], "{case}");
    }
}

#[test]
fn a_no_go_in_an_optional_rule_decides_nothing() {
    let policy = one_stage(vec![
        required(MinGo::Count(1), named(&[ANA])),
        optional(MinGo::Count(1), named(&[BO, CY])),
    ]);
    let t = tally(&policy, &[(BO, NoGo)]);
    assert_eq!(t.decision, Decision::Pending);
    assert_eq!(states(&t), vec![StageState::Open]);
    assert_eq!(
        t.stages[0].rules[1].no_go,
        users(&[BO]),
        "counted, not deciding"
    );
    let t = tally(&policy, &[(BO, NoGo), (CY, NoGo), (ANA, Go)]);
    assert_eq!(t.decision, Decision::Go);
}

#[test]
fn an_unmet_optional_rule_does_not_hold_back_go() {
    let policy = one_stage(vec![
        optional(MinGo::All, named(&[BO, CY])),
        required(MinGo::Count(1), named(&[ANA])),
        optional(MinGo::Count(2), Voters::Role(Role::Owner)),
    ]);
    let t = tally(&policy, &[(ANA, Go), (BO, Abstain)]);
    assert_eq!(t.decision, Decision::Go);
    assert!(!t.stages[0].rules[0].met);
    assert!(!t.stages[0].rules[0].required);
    assert!(t.stages[0].rules[1].met);
    assert!(!t.stages[0].rules[2].met);
}

#[test]
fn every_required_rule_of_a_stage_must_be_met() {
    let policy = one_stage(vec![
        required(MinGo::Count(1), named(&[ANA])),
        required(MinGo::Count(1), named(&[DEE])),
    ]);
    assert_eq!(tally(&policy, &[(ANA, Go)]).decision, Decision::Pending);
    assert_eq!(tally(&policy, &[(DEE, Go)]).decision, Decision::Pending);
    assert_eq!(
        tally(&policy, &[(ANA, Go), (DEE, Go)]).decision,
        Decision::Go
    );
}

// ------------------------------------------------------------ stages

fn two_stages() -> Policy {
    Policy {
        stages: vec![
            stage("QA", vec![required(MinGo::Count(1), named(&[QA]))]),
            stage(
                "Business",
                vec![
                    required(MinGo::Count(2), named(&[ANA, BO])),
                    optional(MinGo::Count(1), named(&[DEE])),
                ],
            ),
        ],
    }
}

#[test]
fn a_later_stage_waits_until_the_one_before_is_go() {
    use StageState::{Go as G, NoGo as N, Open as O, Waiting as W};
    // (case, votes, decision, stage states)
    let table = [
        ("nobody voted", vec![], Decision::Pending, [O, W]),
        (
            "business says go before QA",
            vec![(ANA, Go), (BO, Go)],
            Decision::Pending,
            [O, W],
        ),
        (
            "business says no-go before QA: still waiting",
            vec![(ANA, NoGo)],
            Decision::Pending,
            [O, W],
        ),
        (
            "QA go opens business",
            vec![(QA, Go)],
            Decision::Pending,
            [G, O],
        ),
        (
            "QA go, half of business",
            vec![(QA, Go), (ANA, Go)],
            Decision::Pending,
            [G, O],
        ),
        (
            "every stage go",
            vec![(QA, Go), (ANA, Go), (BO, Go)],
            Decision::Go,
            [G, G],
        ),
        (
            "QA no-go: business keeps waiting",
            vec![(QA, NoGo), (ANA, Go), (BO, Go)],
            Decision::NoGo,
            [N, W],
        ),
        (
            "QA go, business no-go",
            vec![(QA, Go), (ANA, Go), (BO, NoGo)],
            Decision::NoGo,
            [G, N],
        ),
        (
            "QA abstains: nothing opens",
            vec![(QA, Abstain), (ANA, Go), (BO, Go)],
            Decision::Pending,
            [O, W],
        ),
    ];
    for (case, v, decision, expected) in table {
        let t = tally(&two_stages(), &v);
        assert_eq!(t.decision, decision, "{case}");
        assert_eq!(states(&t), expected.to_vec(), "{case}");
        assert_eq!(
            t.open_stage().map(|s| s.name.as_str()),
            expected
                .iter()
                .position(|s| *s == O)
                .map(|i| t.stages[i].name.as_str()),
            "{case}"
        );
    }
}

#[test]
fn a_third_stage_opens_only_after_the_second_is_go() {
    let mut policy = two_stages();
    policy.stages.push(stage(
        "Exec",
        vec![required(MinGo::Count(1), named(&[EXEC]))],
    ));
    let t = tally(&policy, &[(QA, Go), (EXEC, Go)]);
    assert_eq!(t.decision, Decision::Pending);
    assert_eq!(
        states(&t),
        vec![StageState::Go, StageState::Open, StageState::Waiting]
    );
    let t = tally(&policy, &[(QA, Go), (ANA, Go), (BO, Go), (EXEC, Go)]);
    assert_eq!(t.decision, Decision::Go);
    assert_eq!(states(&t), vec![StageState::Go; 3]);
}

#[test]
fn a_policy_without_stages_or_required_rules_never_decides_go() {
    // Such policies are refused by `validate`, but a stored policy that
    // fails to load arrives as an empty one: it must not approve a release.
    let empty = Policy { stages: Vec::new() };
    assert_eq!(tally(&empty, &[]).decision, Decision::Pending);
    let only_optional = one_stage(vec![optional(MinGo::Count(1), named(&[ANA]))]);
    let t = tally(&only_optional, &[(ANA, Go)]);
    assert_eq!(t.decision, Decision::Pending);
    assert_eq!(states(&t), vec![StageState::Open]);
    let no_rules = one_stage(Vec::new());
    assert_eq!(tally(&no_rules, &[]).decision, Decision::Pending);
}

// ------------------------------------------------------------ per rule, per person

#[test]
fn a_person_eligible_through_two_rules_is_counted_once_in_each() {
    let policy = one_stage(vec![
        required(MinGo::Count(2), named(&[ANA, BO])),
        required(MinGo::Count(1), Voters::Role(Role::Approver)),
    ]);
    let t = tally(&policy, &[(ANA, Go)]);
    assert_eq!(t.decision, Decision::Pending);
    let (a, b) = (&t.stages[0].rules[0], &t.stages[0].rules[1]);
    assert_eq!(a.go, users(&[ANA]));
    assert_eq!(b.go, users(&[ANA]), "the one vote counts in both rules");
    assert_eq!(a.pending, users(&[BO]));
    assert_eq!(b.pending, users(&[BO, CY, QA]));
    assert!(!a.met);
    assert!(b.met);
    assert_eq!(
        t.people(),
        (1, 0, 0, 3),
        "Ana is one person: 1 go, 3 pending"
    );

    let t = tally(&policy, &[(ANA, Go), (BO, Go)]);
    assert_eq!(t.decision, Decision::Go);
    assert_eq!(t.people(), (2, 0, 0, 2));

    let t = tally(&policy, &[(ANA, NoGo), (BO, Abstain)]);
    assert_eq!(t.people(), (0, 1, 1, 2));
}

#[test]
fn go_votes_are_never_summed_across_rules() {
    let policy = one_stage(vec![
        required(MinGo::Count(2), named(&[ANA, BO])),
        required(MinGo::Count(2), named(&[CY, QA])),
    ]);
    let t = tally(&policy, &[(ANA, Go), (CY, Go)]);
    assert_eq!(
        t.decision,
        Decision::Pending,
        "two go votes, one in each rule"
    );
    assert!(t.stages[0].rules.iter().all(|r| !r.met && r.go.len() == 1));
    assert_eq!(
        tally(&policy, &[(ANA, Go), (BO, Go), (CY, Go), (QA, Go)]).decision,
        Decision::Go
    );
}

#[test]
fn one_person_in_two_stages_counts_in_each_once_it_opens() {
    let policy = Policy {
        stages: vec![
            stage("QA", vec![required(MinGo::Count(1), named(&[ANA]))]),
            stage(
                "Business",
                vec![required(MinGo::Count(2), named(&[ANA, BO]))],
            ),
        ],
    };
    let t = tally(&policy, &[(ANA, Go)]);
    assert_eq!(states(&t), vec![StageState::Go, StageState::Open]);
    assert_eq!(t.stages[1].rules[0].go, users(&[ANA]));
    assert_eq!(t.people(), (1, 0, 0, 1));
    assert_eq!(
        tally(&policy, &[(ANA, Go), (BO, Go)]).decision,
        Decision::Go
    );
}

#[test]
fn waiting_for_lists_each_pending_person_once_in_rule_order_for_open_stages() {
    let policy = Policy {
        stages: vec![
            stage(
                "Approval",
                vec![
                    // Named rules follow the members' order.
                    required(MinGo::Count(2), named(&[CY, ANA])),
                    optional(MinGo::Count(1), named(&[DEE])),
                    required(MinGo::Count(1), Voters::Role(Role::Approver)),
                ],
            ),
            stage("Exec", vec![required(MinGo::Count(1), named(&[EXEC]))]),
        ],
    };
    // (case, votes, waiting for)
    let table = [
        ("nobody voted", vec![], vec![ANA, CY, DEE, BO, QA]),
        (
            "abstaining is voting",
            vec![(ANA, Abstain)],
            vec![CY, DEE, BO, QA],
        ),
        (
            "a no-go closes the stage: nobody is waited for",
            vec![(CY, NoGo)],
            vec![],
        ),
        (
            "stage one go: only the next stage's people",
            vec![(ANA, Go), (CY, Go)],
            vec![EXEC],
        ),
        (
            "everything decided",
            vec![(ANA, Go), (CY, Go), (EXEC, Go)],
            vec![],
        ),
    ];
    for (case, v, expected) in table {
        let t = tally(&policy, &v);
        assert_eq!(t.waiting_for(), users(&expected), "{case}");
    }
}

#[test]
fn people_counts_only_stages_that_have_opened() {
    let t = tally(&two_stages(), &[(ANA, Go), (BO, NoGo)]);
    // Business is waiting: its votes are not shown as people yet.
    assert_eq!(t.people(), (0, 0, 0, 1));
    let t = tally(&two_stages(), &[(QA, Go), (ANA, Go), (BO, NoGo)]);
    assert_eq!(
        t.people(),
        (2, 1, 0, 1),
        "QA and Ana go, Bo no-go, Dee pending"
    );
}

// ------------------------------------------------------------ separation of duties

#[test]
fn the_owner_and_the_opener_are_not_counted_unless_self_approval_is_allowed() {
    let policy = one_stage(vec![required(
        MinGo::Count(2),
        Voters::Role(Role::Approver),
    )]);
    let duties = Duties {
        release_owner: Some(user(ANA)),
        opener: Some(user(BO)),
        allow_self_approval: false,
    };
    let t = decide_with(&policy, &duties, &[(ANA, Go), (BO, Go), (CY, Go)]);
    assert_eq!(t.decision, Decision::Pending);
    let rule = &t.stages[0].rules[0];
    assert_eq!(
        rule.conflicted,
        vec![
            (user(ANA), Conflicted::Owner),
            (user(BO), Conflicted::Opener)
        ]
    );
    assert_eq!(rule.go, users(&[CY]));
    assert_eq!(rule.pending, users(&[QA]));
    assert_eq!(rule.eligible(), 2);
    assert_eq!(t.waiting_for(), users(&[QA]));
    assert_eq!(t.people(), (1, 0, 0, 1));

    let t = decide_with(&policy, &duties, &[(ANA, Go), (BO, Go), (CY, Go), (QA, Go)]);
    assert_eq!(t.decision, Decision::Go);

    // Their no-go decides nothing either.
    let t = decide_with(&policy, &duties, &[(ANA, NoGo)]);
    assert_eq!(t.decision, Decision::Pending);

    let allowed = Duties {
        allow_self_approval: true,
        ..duties
    };
    let t = decide_with(&policy, &allowed, &[(ANA, Go), (BO, Go)]);
    assert_eq!(t.decision, Decision::Go);
    assert!(t.stages[0].rules[0].conflicted.is_empty());
    assert_eq!(t.stages[0].rules[0].eligible(), 4);
    assert_eq!(
        decide_with(&policy, &allowed, &[(ANA, NoGo)]).decision,
        Decision::NoGo
    );
}

#[test]
fn unanimity_does_not_wait_for_people_kept_out_by_separation_of_duties() {
    let policy = one_stage(vec![required(MinGo::All, named(&[ANA, BO, CY]))]);
    let t = decide_with(&policy, &owner_is(ANA), &[(BO, Go), (CY, Go)]);
    assert_eq!(t.decision, Decision::Go);
    assert_eq!(t.stages[0].rules[0].needed, 2);
}

#[test]
fn duties_say_who_is_conflicted() {
    // (case, duties, user, conflicted)
    let both = Duties {
        release_owner: Some(user(ANA)),
        opener: Some(user(ANA)),
        allow_self_approval: false,
    };
    let table = [
        ("owner", owner_is(ANA), ANA, Some(Conflicted::Owner)),
        ("someone else", owner_is(ANA), BO, None),
        (
            "owner and opener: owner",
            both,
            ANA,
            Some(Conflicted::Owner),
        ),
        (
            "opener",
            Duties {
                opener: Some(user(BO)),
                ..Duties::default()
            },
            BO,
            Some(Conflicted::Opener),
        ),
        (
            "self-approval allowed",
            Duties {
                allow_self_approval: true,
                ..both
            },
            ANA,
            None,
        ),
        ("no owner, no opener", Duties::default(), ANA, None),
    ];
    for (case, duties, who, expected) in table {
        assert_eq!(duties.conflicted(user(who)), expected, "{case}");
    }
}

// ------------------------------------------------------------ undecidable

#[test]
fn a_required_rule_that_separation_of_duties_makes_unreachable_is_reported() {
    let policy = Policy {
        stages: vec![
            stage("QA", vec![required(MinGo::Count(1), named(&[QA]))]),
            stage(
                "Business",
                vec![called(
                    "Approvers",
                    required(MinGo::Count(2), named(&[ANA, BO])),
                )],
            ),
        ],
    };
    let found = policy.undecidable(&members(), &owner_is(ANA));
    assert_eq!(found.len(), 1, "{found:?}");
    let m = &found[0];
    for part in [
        "Stage “Business”",
        "rule “Approvers”",
        "needs 2 go votes",
        "only 1 person may vote",
        "Ana Ortiz owns the release",
        "self-approval",
    ] {
        assert!(m.contains(part), "{m:?} lacks {part:?}");
    }

    let opener = Duties {
        opener: Some(user(BO)),
        ..Duties::default()
    };
    let found = policy.undecidable(&members(), &opener);
    assert_eq!(found.len(), 1);
    assert!(found[0].contains("Bo Chen opens the review"), "{found:?}");

    let allowed = Duties {
        allow_self_approval: true,
        ..owner_is(ANA)
    };
    assert!(policy.undecidable(&members(), &allowed).is_empty());
    assert!(
        policy
            .undecidable(&members(), &Duties::default())
            .is_empty()
    );
    // The owner of the release not asked by the rule changes nothing.
    assert!(policy.undecidable(&members(), &owner_is(CY)).is_empty());
}

#[test]
fn an_unnamed_rule_is_reported_by_its_description() {
    let policy = one_stage(vec![required(MinGo::Count(2), named(&[ANA, BO]))]);
    let found = policy.undecidable(&members(), &owner_is(BO));
    assert_eq!(found.len(), 1);
    assert!(
        found[0].starts_with("Stage “Approval”, rule “2 of Ana Ortiz, Bo Chen”: needs 2 go votes"),
        "{found:?}"
    );
}

#[test]
fn optional_rules_never_make_a_policy_undecidable() {
    let policy = one_stage(vec![
        required(MinGo::Count(1), named(&[CY])),
        optional(MinGo::Count(2), named(&[ANA, BO])),
        optional(MinGo::Count(9), Voters::Role(Role::Approver)),
        optional(MinGo::All, named(&[ANA])),
    ]);
    assert!(policy.undecidable(&members(), &owner_is(ANA)).is_empty());
}

#[test]
fn unanimity_with_everyone_kept_out_is_undecidable() {
    let policy = one_stage(vec![required(MinGo::All, named(&[ANA, BO]))]);
    let both = Duties {
        release_owner: Some(user(ANA)),
        opener: Some(user(BO)),
        allow_self_approval: false,
    };
    let found = policy.undecidable(&members(), &both);
    assert_eq!(found.len(), 1);
    assert!(found[0].contains("no one may vote"), "{found:?}");
    assert!(found[0].contains("Ana Ortiz owns the release, Bo Chen opens the review"));
    // One of two kept out: the other alone can be unanimous.
    assert!(policy.undecidable(&members(), &owner_is(ANA)).is_empty());
}

#[test]
fn rules_asking_too_few_current_members_are_undecidable_without_any_duties() {
    // (case, rule, undecidable)
    let table = [
        (
            "a former member and a viewer",
            required(MinGo::Count(2), named(&[ANA, VI, GONE])),
            true,
        ),
        (
            "a role nobody has",
            required(MinGo::Count(1), Voters::Role(Role::Viewer)),
            true,
        ),
        (
            "more than the role has",
            required(MinGo::Count(5), Voters::Role(Role::Approver)),
            true,
        ),
        (
            "exactly the role",
            required(MinGo::Count(4), Voters::Role(Role::Approver)),
            false,
        ),
        (
            "unanimous of a former member",
            required(MinGo::All, named(&[GONE])),
            true,
        ),
    ];
    for (case, rule, expected) in table {
        let found = one_stage(vec![rule]).undecidable(&members(), &Duties::default());
        assert_eq!(!found.is_empty(), expected, "{case}: {found:?}");
    }
}

// ------------------------------------------------------------ may_vote

#[test]
fn may_vote_says_who_may_vote_now() {
    let mut policy = two_stages();
    // A viewer named by hand in a later stage, and someone who left.
    policy.stages[1]
        .rules
        .push(optional(MinGo::Count(1), named(&[VI, GONE])));
    let none = Duties::default();
    let nobody_voted = tally(&policy, &[]);
    let qa_go = tally(&policy, &[(QA, Go)]);
    let qa_no_go = tally(&policy, &[(QA, NoGo)]);
    let all_go = tally(&policy, &[(QA, Go), (ANA, Go), (BO, Go)]);
    let not_yet = || Err(VoteRefused::NotYet("Business".to_owned()));
    // (case, tally, duties, user, closed, result)
    let table = [
        ("closed", &all_go, none, QA, true, Err(VoteRefused::Closed)),
        (
            "closed, not asked",
            &all_go,
            none,
            CY,
            true,
            Err(VoteRefused::Closed),
        ),
        (
            "not named",
            &nobody_voted,
            none,
            CY,
            false,
            Err(VoteRefused::NotAsked),
        ),
        (
            "a viewer, even named",
            &qa_go,
            none,
            VI,
            false,
            Err(VoteRefused::NotAsked),
        ),
        (
            "not a member",
            &qa_go,
            none,
            GONE,
            false,
            Err(VoteRefused::NotAsked),
        ),
        (
            "a stranger",
            &qa_go,
            none,
            12345,
            false,
            Err(VoteRefused::NotAsked),
        ),
        (
            "asked in the open stage",
            &nobody_voted,
            none,
            QA,
            false,
            Ok(()),
        ),
        (
            "asked in a waiting stage",
            &nobody_voted,
            none,
            ANA,
            false,
            not_yet(),
        ),
        (
            "optional in a waiting stage",
            &nobody_voted,
            none,
            DEE,
            false,
            not_yet(),
        ),
        (
            "waiting after a no-go",
            &qa_no_go,
            none,
            ANA,
            false,
            not_yet(),
        ),
        ("changing their no-go", &qa_no_go, none, QA, false, Ok(())),
        (
            "asked in a stage already go",
            &qa_go,
            none,
            QA,
            false,
            Ok(()),
        ),
        ("once the stage opens", &qa_go, none, ANA, false, Ok(())),
        ("optional once it opens", &qa_go, none, DEE, false, Ok(())),
        (
            "everything go: still open",
            &all_go,
            none,
            BO,
            false,
            Ok(()),
        ),
        (
            "the owner",
            &nobody_voted,
            owner_is(QA),
            QA,
            false,
            Err(VoteRefused::Owner),
        ),
        (
            "the opener",
            &nobody_voted,
            Duties {
                opener: Some(user(QA)),
                ..Duties::default()
            },
            QA,
            false,
            Err(VoteRefused::Opener),
        ),
        (
            "the owner with self-approval",
            &nobody_voted,
            Duties {
                allow_self_approval: true,
                ..owner_is(QA)
            },
            QA,
            false,
            Ok(()),
        ),
        (
            "the owner, not asked anyway",
            &nobody_voted,
            owner_is(CY),
            CY,
            false,
            Err(VoteRefused::NotAsked),
        ),
    ];
    for (case, t, duties, who, closed, expected) in table {
        assert_eq!(
            may_vote(&policy, t, &members(), &duties, user(who), closed),
            expected,
            "{case}"
        );
    }
}

#[test]
fn someone_asked_in_two_stages_may_vote_while_the_first_is_open() {
    let policy = Policy {
        stages: vec![
            stage("QA", vec![required(MinGo::Count(1), named(&[ANA]))]),
            stage(
                "Business",
                vec![required(MinGo::Count(1), named(&[ANA, BO]))],
            ),
        ],
    };
    let t = tally(&policy, &[]);
    let none = Duties::default();
    assert_eq!(
        may_vote(&policy, &t, &members(), &none, user(ANA), false),
        Ok(())
    );
    assert_eq!(
        may_vote(&policy, &t, &members(), &none, user(BO), false),
        Err(VoteRefused::NotYet("Business".to_owned()))
    );
}

#[test]
fn refusals_are_written_for_the_page() {
    assert_eq!(
        VoteRefused::NotYet("Business".to_owned()).to_string(),
        "Your stage, “Business”, opens when the stages before it are go."
    );
    assert!(VoteRefused::Owner.to_string().contains("own this release"));
    assert!(
        VoteRefused::Opener
            .to_string()
            .contains("opened this review")
    );
}

// ------------------------------------------------------------ ballots

#[test]
fn a_ballot_checks_its_comment() {
    let long = "x".repeat(MAX_COMMENT);
    let too_long = "x".repeat(MAX_COMMENT + 1);
    let long_accented = "é".repeat(MAX_COMMENT);
    let padded = format!("  {long}\n ");
    // (case, choice, comment, result: the stored comment or the refusal)
    let table = [
        ("go without a comment", Go, "", Ok("")),
        ("abstain without a comment", Abstain, "", Ok("")),
        (
            "no-go without a comment",
            NoGo,
            "",
            Err(VoteRefused::NoGoWithoutComment),
        ),
        (
            "no-go with a blank comment",
            NoGo,
            " \n\t ",
            Err(VoteRefused::NoGoWithoutComment),
        ),
        (
            "no-go with a reason, trimmed",
            NoGo,
            "  tests fail \n",
            Ok("tests fail"),
        ),
        (
            "go with a comment, trimmed",
            Go,
            "\tlooks good ",
            Ok("looks good"),
        ),
        ("exactly the limit", Go, long.as_str(), Ok(long.as_str())),
        (
            "the limit counts characters, not bytes",
            Go,
            long_accented.as_str(),
            Ok(long_accented.as_str()),
        ),
        (
            "blank around the limit is trimmed first",
            NoGo,
            padded.as_str(),
            Ok(long.as_str()),
        ),
        (
            "one over the limit",
            Go,
            too_long.as_str(),
            Err(VoteRefused::CommentTooLong),
        ),
        (
            "one over, even for no-go",
            NoGo,
            too_long.as_str(),
            Err(VoteRefused::CommentTooLong),
        ),
    ];
    for (case, choice, comment, expected) in table {
        let expected = expected.map(|c| Ballot {
            choice,
            comment: c.to_owned(),
        });
        assert_eq!(Ballot::new(choice, comment), expected, "{case}");
    }
}

// ------------------------------------------------------------ closing

#[test]
fn closing_against_the_votes_needs_a_reason() {
    use Decision::{Go as G, NoGo as N, Pending as P};
    let too_long = "r".repeat(MAX_COMMENT + 1);
    let reason_needed = |computed, chosen| CloseRefused::ReasonNeeded { computed, chosen };
    // (case, computed, chosen, reason, result: (overridden, stored reason) or refusal)
    let table = [
        ("with the votes: go", G, G, "", Ok((false, ""))),
        ("with the votes: no-go", N, N, "", Ok((false, ""))),
        (
            "with the votes, a note kept",
            G,
            G,
            "  all clear ",
            Ok((false, "all clear")),
        ),
        (
            "go against no-go, no reason",
            N,
            G,
            "",
            Err(reason_needed("no-go", "go")),
        ),
        (
            "no-go against go, blank reason",
            G,
            N,
            " \n ",
            Err(reason_needed("go", "no-go")),
        ),
        (
            "no-go against go, reason",
            G,
            N,
            " vendor outage ",
            Ok((true, "vendor outage")),
        ),
        (
            "go while pending, no reason",
            P,
            G,
            "",
            Err(reason_needed("pending", "go")),
        ),
        (
            "no-go while pending, no reason",
            P,
            N,
            "",
            Err(reason_needed("pending", "no-go")),
        ),
        (
            "no-go while pending, reason",
            P,
            N,
            "deadline passed",
            Ok((true, "deadline passed")),
        ),
        (
            "go while pending, reason",
            P,
            G,
            "CAB met offline",
            Ok((true, "CAB met offline")),
        ),
        ("as pending", G, P, "because", Err(CloseRefused::NoDecision)),
        (
            "as pending while pending",
            P,
            P,
            "",
            Err(CloseRefused::NoDecision),
        ),
        (
            "reason too long",
            G,
            N,
            too_long.as_str(),
            Err(CloseRefused::ReasonTooLong),
        ),
    ];
    for (case, computed, chosen, reason, expected) in table {
        let expected = expected.map(|(overridden, r)| Closing {
            decision: chosen,
            overridden,
            reason: r.to_owned(),
        });
        assert_eq!(close(computed, chosen, reason), expected, "{case}");
    }
    assert_eq!(
        reason_needed("go", "no-go").to_string(),
        "The votes give go: closing it no-go overrides them, so write the reason (it is recorded and shown)."
    );
}

// ------------------------------------------------------------ words

#[test]
fn kinds_choices_and_decisions_read_back_what_they_write() {
    for k in ReviewKind::ALL {
        assert_eq!(ReviewKind::parse(k.as_str()), Some(k));
        assert_eq!(ReviewKind::parse(&format!(" {} ", k.as_str())), Some(k));
    }
    for c in Choice::ALL {
        assert_eq!(Choice::parse(c.as_str()), Some(c));
        assert_eq!(c.to_string(), c.as_str());
    }
    for d in [Decision::Pending, Decision::Go, Decision::NoGo] {
        assert_eq!(Decision::parse(d.as_str()), Some(d));
    }
    assert_eq!(ReviewKind::parse("review"), None);
    assert_eq!(Choice::parse("yes"), None);
    assert_eq!(Choice::parse("No-go"), None);
    assert_eq!(Decision::parse("maybe"), None);
    assert_eq!(Decision::Pending.release_decision(), None);
    assert_eq!(Decision::Go.release_decision(), Some(ReleaseDecision::Go));
    assert_eq!(
        Decision::NoGo.release_decision(),
        Some(ReleaseDecision::NoGo)
    );
    assert_eq!(Decision::NoGo.word(), "no-go");
}

#[test]
fn rules_describe_themselves() {
    // (rule, description)
    let table = [
        (
            required(MinGo::Count(2), Voters::Role(Role::Approver)),
            "2 of the approvers",
        ),
        (
            required(MinGo::Count(1), Voters::Role(Role::ReleaseManager)),
            "1 of the release managers",
        ),
        (
            required(MinGo::All, Voters::Role(Role::Owner)),
            "all of the owners",
        ),
        (
            required(MinGo::All, named(&[ANA, GONE])),
            "all of Ana Ortiz, a former member",
        ),
        (required(MinGo::Count(1), named(&[QA])), "1 of Quinn Hale"),
    ];
    for (rule, expected) in table {
        assert_eq!(rule.describe(&members()), expected);
        assert_eq!(
            rule_label(&rule, &members()),
            expected,
            "unnamed: its description"
        );
    }
    let rule = called("QA lead", required(MinGo::Count(1), named(&[QA])));
    assert_eq!(rule_label(&rule, &members()), "QA lead");
    let blank = called("  ", required(MinGo::Count(1), named(&[QA])));
    assert_eq!(rule_label(&blank, &members()), "1 of Quinn Hale");
}

// ------------------------------------------------------------ policy text

const EXAMPLE: &str = "Stage: QA\n  QA lead: required 1 of qa@acme.test\nStage: Business\n  required 2 of approvers\n  optional all of cab@acme.test, exec@acme.test";

fn example() -> Policy {
    Policy {
        stages: vec![
            stage(
                "QA",
                vec![called("QA lead", required(MinGo::Count(1), named(&[QA])))],
            ),
            stage(
                "Business",
                vec![
                    required(MinGo::Count(2), Voters::Role(Role::Approver)),
                    optional(MinGo::All, named(&[CAB, EXEC])),
                ],
            ),
        ],
    }
}

fn parse(text: &str) -> Result<Policy, Vec<LineError>> {
    parse_policy(text, &members())
}

#[test]
fn the_example_policy_parses_and_reads_back_the_same() {
    let policy = parse(EXAMPLE).expect("the example parses");
    assert_eq!(policy, example());
    assert_eq!(policy.validate(), Ok(()));
    let text = policy_text(&policy, &members());
    assert_eq!(text, format!("{EXAMPLE}\n"));
    assert_eq!(parse(&text), Ok(policy));
}

#[test]
fn policy_keywords_and_emails_ignore_case() {
    let text = "STAGE: QA\n  QA lead: REQUIRED 1 OF QA@ACME.TEST\nstage Business\n  Required 2 Of The Approvers\n  OPTIONAL ALL of Cab@Acme.Test,EXEC@acme.test\n";
    assert_eq!(parse(text), Ok(example()));
}

#[test]
fn role_words_are_read_generously() {
    // (words, role)
    let table = [
        ("approvers", Role::Approver),
        ("approver", Role::Approver),
        ("the approvers", Role::Approver),
        ("all approvers", Role::Approver),
        ("Approvers", Role::Approver),
        ("release_managers", Role::ReleaseManager),
        ("release managers", Role::ReleaseManager),
        ("Release-Managers", Role::ReleaseManager),
        ("the release manager", Role::ReleaseManager),
        ("owners", Role::Owner),
        ("OWNER", Role::Owner),
    ];
    for (words, role) in table {
        let text = format!("Stage: A\n  required 1 of {words}");
        assert_eq!(
            parse(&text),
            Ok(one_stage_named(
                "A",
                vec![required(MinGo::Count(1), Voters::Role(role))]
            )),
            "{words}"
        );
    }
}

fn one_stage_named(name: &str, rules: Vec<Rule>) -> Policy {
    Policy {
        stages: vec![stage(name, rules)],
    }
}

#[test]
fn blank_lines_comments_extra_spaces_and_crlf_are_tolerated() {
    let text = "# Our go/no-go\r\n\r\nStage:   QA  \r\n\r\n   # the lead\r\n\t QA lead :  required   1   of   qa@acme.test ,  \r\nStage: Business\r\n  required\t2 of approvers\r\n  optional all of cab@acme.test,, exec@acme.test\r\n\r\n";
    assert_eq!(parse(text), Ok(example()));
}

#[test]
fn rule_names_may_hold_keywords_colons_and_any_letters() {
    // (name as written, rule line)
    let table = [
        "Required sign-off",
        "Optional CAB",
        "Stage gate",
        "Risk: security",
        "Not required",
        "\u{130}nceleme",
        "Qualité ✅",
        "KELVIN \u{212A}",
    ];
    for name in table {
        let policy = one_stage_named(
            "Approval",
            vec![
                called(
                    name,
                    required(MinGo::Count(1), Voters::Role(Role::Approver)),
                ),
                called(name, optional(MinGo::All, named(&[CAB]))),
            ],
        );
        let text = policy_text(&policy, &members());
        assert_eq!(parse(&text), Ok(policy), "{name}: {text}");
    }
}

#[test]
fn any_text_gives_errors_not_a_panic() {
    for text in [
        "QA 😀",
        "Stage: 😀\n😀😀😀",
        "Ståge: x",
        "Stage: A\n  İİİİ required 1 of approvers",
        "Stage: A\n  \u{212A}\u{212A}: required 1 of approvers",
        "Stage: A\n  é: required 1 of 😀@acme.test",
        "Stage: A\n  required 1 of ,,,",
        "Stage: A\n  :",
        ":::",
    ] {
        let _ = parse(text);
    }
    assert_eq!(
        parse("Stage: A\n  \u{212A}\u{212A}: required 1 of approvers"),
        Ok(one_stage_named(
            "A",
            vec![called(
                "\u{212A}\u{212A}",
                required(MinGo::Count(1), Voters::Role(Role::Approver))
            )]
        ))
    );
}

/// (case, text, [(line, words in the message)])
type ErrorCase<'a> = (&'a str, &'a str, Vec<(usize, &'a str)>);

#[test]
fn policy_errors_name_their_line() {
    let twenty_one_rules = format!("Stage: A\n{}", "  required 1 of approvers\n".repeat(21));
    let eleven_stages = "Stage: S\n  required 1 of approvers\n".repeat(11);
    let long_stage = format!("Stage: {}\n  required 1 of approvers", "s".repeat(101));
    let long_rule = format!("Stage: A\n  {}: required 1 of approvers", "r".repeat(101));
    let table: Vec<ErrorCase<'_>> = vec![
        (
            "unknown email, after a blank line",
            "Stage: A\n\n  required 1 of nobody@acme.test",
            vec![(3, "nobody@acme.test is not a member of this organisation")],
        ),
        (
            "a viewer named",
            "Stage: A\n  required 1 of ana@acme.test, vi@acme.test",
            vec![(2, "vi@acme.test is a viewer and cannot vote")],
        ),
        (
            "unknown role word",
            "Stage: A\n  required 1 of wizards",
            vec![(2, "“wizards” is neither a role")],
        ),
        (
            "viewers are no voting role",
            "Stage: A\n  required 1 of viewers",
            vec![(2, "“viewers” is neither a role")],
        ),
        (
            "0 of",
            "Stage: A\n\n\n  required 0 of approvers",
            vec![(4, "a rule needs at least 1 go vote")],
        ),
        (
            "a rule before any stage",
            "\n  required 1 of approvers\nStage: A\n  required 1 of approvers",
            vec![(2, "start with a stage line")],
        ),
        (
            "a stage without a required rule",
            "Stage: A\n  required 1 of approvers\n\nStage: B\n  optional 1 of approvers\n\n",
            vec![(4, "stage “B” needs at least one required rule")],
        ),
        (
            "a stage without rules",
            "Stage: A\n  required 1 of approvers\nStage: B",
            vec![(3, "stage “B” needs at least one required rule")],
        ),
        (
            "two stages without a required rule",
            "Stage: A\n  optional 1 of approvers\nStage: B\n  optional 1 of owners",
            vec![
                (1, "stage “A” needs at least one required rule"),
                (3, "stage “B” needs at least one required rule"),
            ],
        ),
        (
            "more go votes than named members",
            "Stage: A\n  required 3 of ana@acme.test, bo@acme.test",
            vec![(2, "3 go votes from 2 named members can never be reached")],
        ),
        (
            "one member named twice is one",
            "Stage: A\n  required 2 of ana@acme.test, ANA@acme.test",
            vec![(2, "2 go votes from 1 named member can never be reached")],
        ),
        (
            "no keyword",
            "Stage: A\n  needs everyone",
            vec![(2, "write a rule as")],
        ),
        (
            "a number in words",
            "Stage: A\n  required two of approvers",
            vec![(2, "write a rule as")],
        ),
        (
            "no of",
            "Stage: A\n  required 1 approvers",
            vec![(2, "write a rule as")],
        ),
        (
            "of nobody",
            "Stage: A\n  required 1 of",
            vec![(2, "write a rule as")],
        ),
        (
            "over a hundred",
            "Stage: A\n  required 101 of approvers",
            vec![(2, "write a rule as")],
        ),
        (
            "a name without a colon",
            "Stage: A\n  Lead required 1 of approvers",
            vec![(2, "write a rule as")],
        ),
        ("nothing", "", vec![(1, "write at least one stage")]),
        (
            "only comments",
            "# nothing yet\n\n",
            vec![(1, "write at least one stage")],
        ),
        (
            "an unnamed stage",
            "Stage:\n  required 1 of approvers",
            vec![(1, "name the stage")],
        ),
        (
            "a stage name too long",
            long_stage.as_str(),
            vec![(1, "name the stage")],
        ),
        (
            "a rule name too long",
            long_rule.as_str(),
            vec![(2, "under 100 characters")],
        ),
        (
            "every error is reported",
            "Stage: A\n  required 1 of wizards\n  required 1 of approvers\n  optional 0 of owners",
            vec![(2, "“wizards”"), (4, "at least 1 go vote")],
        ),
        (
            "too many stages",
            eleven_stages.as_str(),
            vec![(21, "at most 10 stages")],
        ),
        (
            "too many rules",
            twenty_one_rules.as_str(),
            vec![(22, "at most 20 rules")],
        ),
    ];
    for (case, text, expected) in table {
        let errors = parse(text).expect_err(case);
        assert_eq!(errors.len(), expected.len(), "{case}: {errors:?}");
        for (e, (line, words)) in errors.iter().zip(&expected) {
            assert_eq!(e.line, *line, "{case}: {e}");
            assert!(e.message.contains(words), "{case}: {e} lacks {words:?}");
        }
    }
}

#[test]
fn the_limits_themselves_parse() {
    let ten_stages = "Stage: S\n  required 1 of approvers\n".repeat(MAX_STAGES);
    assert_eq!(
        parse(&ten_stages).expect("10 stages").stages.len(),
        MAX_STAGES
    );
    let twenty_rules = format!(
        "Stage: A\n{}",
        "  required 1 of approvers\n".repeat(MAX_RULES)
    );
    assert_eq!(
        parse(&twenty_rules).expect("20 rules").stages[0]
            .rules
            .len(),
        MAX_RULES
    );
    let hundred = format!("Stage: {}\n  required 100 of approvers", "s".repeat(100));
    assert_eq!(
        parse(&hundred).expect("100").stages[0].rules[0].min_go,
        MinGo::Count(100)
    );
}

#[test]
fn validate_checks_the_shape_of_a_policy() {
    let ok_rule = || required(MinGo::Count(1), Voters::Role(Role::Approver));
    let stage_of = |rules: Vec<Rule>| stage("A", rules);
    // (case, policy, result)
    let table = [
        ("the example", example(), Ok(())),
        (
            "no stages",
            Policy { stages: vec![] },
            Err(PolicyError::NoStages),
        ),
        (
            "ten stages",
            Policy {
                stages: vec![stage_of(vec![ok_rule()]); MAX_STAGES],
            },
            Ok(()),
        ),
        (
            "eleven stages",
            Policy {
                stages: vec![stage_of(vec![ok_rule()]); MAX_STAGES + 1],
            },
            Err(PolicyError::TooManyStages),
        ),
        (
            "twenty rules",
            Policy {
                stages: vec![stage_of(vec![ok_rule(); MAX_RULES])],
            },
            Ok(()),
        ),
        (
            "twenty-one rules",
            Policy {
                stages: vec![stage_of(vec![ok_rule(); MAX_RULES + 1])],
            },
            Err(PolicyError::TooManyRules("A".into())),
        ),
        (
            "only optional rules",
            Policy {
                stages: vec![
                    stage("Z", vec![ok_rule()]),
                    stage_of(vec![optional(MinGo::Count(1), Voters::Role(Role::Owner))]),
                ],
            },
            Err(PolicyError::NoRequiredRule("A".into())),
        ),
        (
            "no rules",
            Policy {
                stages: vec![stage_of(vec![])],
            },
            Err(PolicyError::NoRequiredRule("A".into())),
        ),
        (
            "zero go votes, even optional",
            Policy {
                stages: vec![stage_of(vec![
                    ok_rule(),
                    optional(MinGo::Count(0), Voters::Role(Role::Owner)),
                ])],
            },
            Err(PolicyError::ZeroGo { stage: "A".into() }),
        ),
        (
            "naming no one",
            Policy {
                stages: vec![stage_of(vec![required(MinGo::All, named(&[]))])],
            },
            Err(PolicyError::NoVoters { stage: "A".into() }),
        ),
    ];
    for (case, policy, expected) in table {
        assert_eq!(policy.validate(), expected, "{case}");
    }
    assert_eq!(
        PolicyError::NoRequiredRule("CAB".into()).to_string(),
        "stage “CAB” needs at least one required rule"
    );
    assert_eq!(
        PolicyError::ZeroGo {
            stage: "CAB".into()
        }
        .to_string(),
        "stage “CAB”: a rule needs at least 1 go vote"
    );
}

// ------------------------------------------------------------ properties

const PEOPLE: u128 = 6;
/// One more id than there are members: someone who left.
const FORMER: u128 = PEOPLE + 1;

fn arb_role() -> impl Strategy<Value = Role> {
    prop::sample::select(Role::ALL.to_vec())
}

fn arb_members() -> impl Strategy<Value = Vec<Member>> {
    prop::collection::vec(arb_role(), PEOPLE as usize).prop_map(|roles| {
        roles
            .into_iter()
            .zip(1u128..)
            .map(|(role, n)| Member {
                user: user(n),
                role,
                email: format!("m{n}@acme.test"),
                name: format!("Member {n}"),
            })
            .collect()
    })
}

const RULE_NAMES: [&str; 8] = [
    "",
    "",
    "QA lead",
    "Required sign-off",
    "Optional CAB",
    "Stage gate",
    "Risk: security",
    "Qualité",
];

const STAGE_NAMES: [&str; 5] = ["QA", "Business", "Stage 2", "Required checks", "Exec ✅"];

fn arb_rule() -> impl Strategy<Value = Rule> {
    let voters = prop_oneof![
        arb_role().prop_map(Voters::Role),
        prop::collection::btree_set(1..=FORMER, 1..=4)
            .prop_map(|ids| Voters::Members(ids.into_iter().map(user).collect())),
    ];
    let min_go = prop_oneof![(1u32..=4).prop_map(MinGo::Count), Just(MinGo::All)];
    (
        prop::sample::select(RULE_NAMES.to_vec()),
        voters,
        any::<bool>(),
        min_go,
    )
        .prop_map(|(name, voters, required, min_go)| Rule {
            name: name.to_owned(),
            voters,
            required,
            min_go,
        })
}

fn arb_policy() -> impl Strategy<Value = Policy> {
    let stage = (
        prop::sample::select(STAGE_NAMES.to_vec()),
        prop::collection::vec(arb_rule(), 1..=3),
    )
        .prop_map(|(name, rules)| Stage {
            name: name.to_owned(),
            rules,
        });
    prop::collection::vec(stage, 1..=3).prop_map(|stages| Policy { stages })
}

fn arb_votes() -> impl Strategy<Value = HashMap<UserId, Choice>> {
    prop::collection::vec(
        prop::option::of(prop::sample::select(Choice::ALL.to_vec())),
        FORMER as usize,
    )
    .prop_map(|choices| {
        choices
            .into_iter()
            .zip(1u128..)
            .filter_map(|(c, n)| c.map(|c| (user(n), c)))
            .collect()
    })
}

fn arb_duties() -> impl Strategy<Value = Duties> {
    (
        prop::option::of(1..=FORMER),
        prop::option::of(1..=FORMER),
        prop::bool::weighted(0.2),
    )
        .prop_map(|(owner, opener, allow)| Duties {
            release_owner: owner.map(user),
            opener: opener.map(user),
            allow_self_approval: allow,
        })
}

/// Who a rule counts, worked out from scratch: current members who may
/// vote, asked by name or role, not kept out by separation of duties.
fn oracle_eligible(rule: &Rule, members: &[Member], duties: &Duties) -> Vec<UserId> {
    members
        .iter()
        .filter(|m| m.role != Role::Viewer)
        .filter(|m| match &rule.voters {
            Voters::Members(ids) => ids.contains(&m.user),
            Voters::Role(r) => m.role == *r,
        })
        .filter(|m| {
            duties.allow_self_approval
                || (duties.release_owner != Some(m.user) && duties.opener != Some(m.user))
        })
        .map(|m| m.user)
        .collect()
}

fn oracle_met(
    rule: &Rule,
    members: &[Member],
    duties: &Duties,
    votes: &HashMap<UserId, Choice>,
) -> bool {
    let eligible = oracle_eligible(rule, members, duties);
    let go = eligible
        .iter()
        .filter(|u| votes.get(u) == Some(&Go))
        .count();
    let needed = match rule.min_go {
        MinGo::Count(n) => n as usize,
        MinGo::All => eligible.len(),
    };
    !eligible.is_empty() && go >= needed
}

fn oracle_no_go(
    rule: &Rule,
    members: &[Member],
    duties: &Duties,
    votes: &HashMap<UserId, Choice>,
) -> bool {
    oracle_eligible(rule, members, duties)
        .iter()
        .any(|u| votes.get(u) == Some(&NoGo))
}

/// Whether a stage is go, worked out from scratch.
fn oracle_stage_go(
    stage: &Stage,
    members: &[Member],
    duties: &Duties,
    votes: &HashMap<UserId, Choice>,
) -> bool {
    let required: Vec<&Rule> = stage.rules.iter().filter(|r| r.required).collect();
    !required.is_empty()
        && required.iter().all(|r| {
            oracle_met(r, members, duties, votes) && !oracle_no_go(r, members, duties, votes)
        })
}

/// A generated policy made valid for the editor's text: named members are
/// current voters (viewers and former members dropped, the rule falling
/// back to the approvers if none is left), a count no more than those
/// named, a viewer role made the approvers, and a required rule in every
/// stage.
fn editable(mut policy: Policy, members: &[Member]) -> Policy {
    for stage in &mut policy.stages {
        for rule in &mut stage.rules {
            match &mut rule.voters {
                Voters::Members(ids) => {
                    ids.retain(|id| members.iter().any(|m| m.user == *id && m.role.can_vote()));
                    if ids.is_empty() {
                        rule.voters = Voters::Role(Role::Approver);
                    } else if let MinGo::Count(n) = rule.min_go {
                        rule.min_go = MinGo::Count(n.min(ids.len() as u32));
                    }
                }
                Voters::Role(role) => {
                    if *role == Role::Viewer {
                        *role = Role::Approver;
                    }
                }
            }
        }
        if !stage.rules.iter().any(|r| r.required) {
            stage.rules[0].required = true;
        }
    }
    policy
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn go_is_never_decided_while_a_required_rule_is_unmet(
        policy in arb_policy(),
        members in arb_members(),
        votes in arb_votes(),
        duties in arb_duties(),
    ) {
        let t = decide(&policy, &members, &duties, &votes);
        if t.decision == Decision::Go {
            for stage in &policy.stages {
                for rule in stage.rules.iter().filter(|r| r.required) {
                    prop_assert!(oracle_met(rule, &members, &duties, &votes), "{:?} in {:?}", rule, t);
                }
            }
        }
    }

    #[test]
    fn the_decision_agrees_with_counting_from_scratch(
        policy in arb_policy(),
        members in arb_members(),
        votes in arb_votes(),
        duties in arb_duties(),
    ) {
        let t = decide(&policy, &members, &duties, &votes);
        let mut expected = Decision::Go;
        let mut expected_states = Vec::new();
        for stage in &policy.stages {
            if expected != Decision::Go {
                expected_states.push(StageState::Waiting);
                continue;
            }
            let no_go = stage.rules.iter().any(|r| r.required && oracle_no_go(r, &members, &duties, &votes));
            if no_go {
                expected = Decision::NoGo;
                expected_states.push(StageState::NoGo);
            } else if oracle_stage_go(stage, &members, &duties, &votes) {
                expected_states.push(StageState::Go);
            } else {
                expected = Decision::Pending;
                expected_states.push(StageState::Open);
            }
        }
        prop_assert_eq!(t.decision, expected);
        prop_assert_eq!(states(&t), expected_states);
        for (stage, st) in policy.stages.iter().zip(&t.stages) {
            for (rule, rt) in stage.rules.iter().zip(&st.rules) {
                let eligible = oracle_eligible(rule, &members, &duties);
                prop_assert_eq!(rt.eligible(), eligible.len());
                prop_assert_eq!(rt.met, oracle_met(rule, &members, &duties, &votes));
            }
        }
    }

    #[test]
    fn a_no_go_in_a_required_rule_of_the_first_stage_not_go_decides_no_go(
        policy in arb_policy(),
        members in arb_members(),
        votes in arb_votes(),
        duties in arb_duties(),
        pick in any::<prop::sample::Index>(),
    ) {
        // Eligible voters of the required rules of the first stage that is
        // not go, counted from scratch.
        let first_voters = |v: &HashMap<UserId, Choice>| -> Vec<UserId> {
            policy
                .stages
                .iter()
                .find(|s| !oracle_stage_go(s, &members, &duties, v))
                .map(|first| {
                    first
                        .rules
                        .iter()
                        .filter(|r| r.required)
                        .flat_map(|r| oracle_eligible(r, &members, &duties))
                        .collect()
                })
                .unwrap_or_default()
        };
        let voters = first_voters(&votes);
        prop_assume!(!voters.is_empty());
        // As generated, and with one of those voters changed to no-go.
        let mut changed = votes.clone();
        changed.insert(*pick.get(&voters), NoGo);
        let mut checked = 0;
        for v in [&votes, &changed] {
            if first_voters(v).iter().any(|u| v.get(u) == Some(&NoGo)) {
                checked += 1;
                prop_assert_eq!(decide(&policy, &members, &duties, v).decision, Decision::NoGo);
            }
        }
        prop_assert!(checked >= 1, "the changed votes hold a no-go in the first stage not go");
    }

    #[test]
    fn abstaining_instead_of_not_voting_never_turns_pending_into_go(
        policy in arb_policy(),
        members in arb_members(),
        votes in arb_votes(),
        duties in arb_duties(),
    ) {
        let t = decide(&policy, &members, &duties, &votes);
        prop_assume!(t.decision == Decision::Pending);
        for n in 1..=FORMER {
            if votes.contains_key(&user(n)) {
                continue;
            }
            let mut abstained = votes.clone();
            abstained.insert(user(n), Abstain);
            let after = decide(&policy, &members, &duties, &abstained).decision;
            prop_assert_ne!(after, Decision::Go, "{} abstained", n);
        }
        // Everyone waited for abstaining at once changes nothing either.
        let mut all = votes.clone();
        for u in t.waiting_for() {
            all.insert(u, Abstain);
        }
        prop_assert_ne!(decide(&policy, &members, &duties, &all).decision, Decision::Go);
    }

    #[test]
    fn the_decision_does_not_depend_on_the_order_of_members(
        policy in arb_policy(),
        (members, shuffled) in arb_members().prop_flat_map(|m| (Just(m.clone()), Just(m).prop_shuffle())),
        votes in arb_votes(),
        duties in arb_duties(),
    ) {
        let a = decide(&policy, &members, &duties, &votes);
        let b = decide(&policy, &shuffled, &duties, &votes);
        prop_assert_eq!(a.decision, b.decision);
        prop_assert_eq!(states(&a), states(&b));
        prop_assert_eq!(a.people(), b.people());
        let sorted = |t: &Tally| {
            let mut w = t.waiting_for();
            w.sort();
            w
        };
        prop_assert_eq!(sorted(&a), sorted(&b));
        prop_assert_eq!(
            policy.undecidable(&members, &duties).len(),
            policy.undecidable(&shuffled, &duties).len()
        );
    }

    #[test]
    fn policy_text_reads_back_as_the_same_policy(
        policy in arb_policy(),
        members in arb_members(),
    ) {
        let policy = editable(policy, &members);
        prop_assert_eq!(policy.validate(), Ok(()));
        let text = policy_text(&policy, &members);
        prop_assert_eq!(parse_policy(&text, &members), Ok(policy), "{}", text);
    }

    #[test]
    fn parsing_any_line_never_panics(text in "\\PC{0,60}(\n\\PC{0,60}){0,4}") {
        let _ = parse_policy(&text, &members());
    }
}
