use super::*;
use crate::economy::MoneyUnit;

fn mnkr(s: &str) -> Amount {
    Amount::parse(s, MoneyUnit::Mnkr).unwrap()
}

/// G-LAG2023 as seed 002 gives it.
fn lag_grant() -> Grant {
    Grant {
        id: 1,
        code: "G-LAG2023".into(),
        name: "Bidrag för kommunernas brottsförebyggande arbete".into(),
        direction: Direction::Received,
        grantor: "Staten".into(),
        legal_basis: "Lag (2023:196)".into(),
        kind: GrantKind::General,
        formula: "21 kr per invånare (befolkning 2021)".into(),
        reporting_duty: String::new(),
        unit_id: Some(10),
        allocate_by: None,
        rules: String::new(),
        note: String::new(),
        source: "002:605-618".into(),
        years: vec![
            GrantYear {
                year: 2023,
                amount: Some(mnkr("1,9")),
                received_on: None,
                quoted: "1,9 mnkr".into(),
                half_year: true,
            },
            GrantYear {
                year: 2024,
                amount: Some(mnkr("2,4")),
                received_on: None,
                quoted: "ca 2,4 mnkr".into(),
                half_year: false,
            },
        ],
    }
}

fn alloc(
    id: Id,
    purpose: &str,
    amount: Option<&str>,
    share: GrantShare,
    unit: Option<Id>,
) -> Allocation {
    Allocation {
        id,
        grant_id: 1,
        year: 2023,
        decision: DecisionRef {
            body: "KS".into(),
            date: Some("2023-10-27".into()),
            paragraph: String::new(),
            case_ref: String::new(),
        },
        purpose: purpose.into(),
        amount: amount.map(mnkr),
        share,
        unit_id: unit,
        area: None,
        obligation_id: None,
        commitment_id: None,
        situation_report_id: None,
        recipient: String::new(),
        follow_up: None,
    }
}

#[test]
fn the_half_year_check_warns_on_the_seed_figures() {
    let g = lag_grant();
    let f = half_year_mismatch(&g).unwrap();
    assert_eq!(
        crate::messages::economy::grant_flag(&f),
        "2023 är ett halvår, men 1,9 mnkr är inte hälften av 2,4 mnkr för 2024 (hälften vore 1,2 mnkr)."
    );
    let mut ok = g.clone();
    ok.years[0].amount = Some(mnkr("1,2"));
    assert_eq!(half_year_mismatch(&ok), None);
}

#[test]
fn received_allocated_spent_and_the_unknown_share() {
    let g = lag_grant();
    let allocations = vec![
        alloc(
            1,
            "trygghetsskapande insatser",
            Some("1"),
            GrantShare::Unknown,
            Some(10),
        ),
        alloc(
            2,
            "underhåll och trygghetsskapande åtgärder i den fysiska miljön",
            Some("6,2"),
            GrantShare::Unknown,
            Some(20),
        ),
    ];
    let s = summary(&g, &allocations, &[]);
    assert_eq!(s.len(), 2);
    assert_eq!(s[0].received.unwrap().format_mnkr(), "1,9");
    assert_eq!(s[0].allocated.unwrap().format_mnkr(), "7,2");
    assert_eq!(s[0].share_unknown, 2);
    assert_eq!(s[0].grant_financed, None);
    assert_eq!(s[1].allocated, None);
    let f = flags(&g, &allocations, &[], "2024-06-01");
    assert!(f.iter().any(|x| matches!(
        x,
        GrantFlag::ShareUnknown {
            allocation_id: 1,
            ..
        }
    )));
    assert!(f
        .iter()
        .any(|x| matches!(x, GrantFlag::NoAllocations { year: 2024 })));
    assert!(f
        .iter()
        .any(|x| matches!(x, GrantFlag::HalfYearMismatch { .. })));
    let d = deviation_candidates(
        std::slice::from_ref(&g),
        &allocations,
        &[],
        2023,
        "2024-06-01",
    );
    assert_eq!(d.len(), 2);
    assert_eq!(d[1].org_id, 20);
    assert!(
        d[0].description.contains("andel bidragsfinansierad okänd"),
        "{}",
        d[0].description
    );
    // A board sees the grant through an allocation to it.
    assert!(affects(&g, &allocations, &BTreeSet::from([20])));
    assert!(!affects(&g, &allocations, &BTreeSet::from([99])));
}

#[test]
fn money_not_allocated_by_the_date_raises_a_deviation() {
    let mut g = lag_grant();
    g.allocate_by = Some("2023-12-31".into());
    let allocations = vec![alloc(
        1,
        "insatser",
        Some("1"),
        GrantShare::Known(1000),
        Some(10),
    )];
    assert!(unallocated(&g, &allocations, &[], "2023-12-31").is_empty());
    let f = unallocated(&g, &allocations, &[], "2024-01-02");
    assert_eq!(f.len(), 1);
    let d = deviation_candidates(&[g], &allocations, &[], 2023, "2024-01-02");
    assert_eq!(d.len(), 1);
    assert!(
        d[0].description.contains("0,9 mnkr"),
        "{}",
        d[0].description
    );
}

#[test]
fn allocations_without_amount_shares_and_spend() {
    let g = lag_grant();
    let mut a = alloc(1, "spår 2", None, GrantShare::Known(400), Some(10));
    assert_eq!(a.grant_part(), None);
    a.amount = Some(mnkr("10"));
    assert_eq!(a.grant_part().unwrap().format_mnkr(), "4,0");
    let spend = vec![Spend {
        id: 1,
        allocation_id: 1,
        period: Period::Year(2023),
        amount: mnkr("12"),
        booked_on: "P1234".into(),
        note: String::new(),
    }];
    assert_eq!(validate_spend(&spend[0], &a, 1), Ok(()));
    assert_eq!(
        validate_spend(&spend[0], &a, 2),
        Err(EconomyRefusal::WrongGrant)
    );
    let f = flags(&g, std::slice::from_ref(&a), &spend, "2024-01-01");
    assert!(f.iter().any(|x| matches!(x, GrantFlag::OverSpent { .. })));
    let mut bad = a.clone();
    bad.share = GrantShare::Known(1001);
    assert_eq!(
        validate_allocation(&bad),
        Err(EconomyRefusal::ShareOutOfRange)
    );
    let mut none = alloc(3, "", None, GrantShare::Unknown, None);
    none.purpose.clear();
    assert_eq!(
        validate_allocation(&none),
        Err(EconomyRefusal::AllocationTarget)
    );
    assert_eq!(GrantShare::Known(400).label(), "40 %");
    assert_eq!(GrantShare::Unknown.label(), "okänd");
}

#[test]
fn given_grants_need_a_follow_up_of_their_use() {
    let mut g = lag_grant();
    g.direction = Direction::Given;
    g.years.clear();
    let mut a = alloc(
        1,
        "verksamhetsbidrag",
        Some("0,2"),
        GrantShare::Known(1000),
        None,
    );
    a.recipient = "Huddinge IF".into();
    let f = flags(&g, std::slice::from_ref(&a), &[], "2024-03-01");
    assert_eq!(
        f,
        vec![GrantFlag::UseNotFollowedUp {
            allocation_id: 1,
            recipient: "Huddinge IF".into()
        }]
    );
    a.follow_up = Some(UseFollowUp {
        date: "2024-02-01".into(),
        status: UseStatus::Accounted,
        text: "Redovisning inkommen.".into(),
    });
    assert!(flags(&g, &[a], &[], "2024-03-01").is_empty());
}

#[test]
fn duplicate_codes_and_years_are_refused() {
    let g = lag_grant();
    let mut other = g.clone();
    other.id = 2;
    assert_eq!(
        validate_grant(&other, std::slice::from_ref(&g)),
        Err(EconomyRefusal::Duplicate("G-LAG2023".into()))
    );
    let mut y = g.clone();
    y.years.push(y.years[0].clone());
    assert_eq!(
        validate_grant(&y, &[]),
        Err(EconomyRefusal::Duplicate("2023".into()))
    );
}
