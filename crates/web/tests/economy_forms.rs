//! The economy's and grants' forms over HTTP on both backends: the budget grid of a unit
//! and year (a bad cell or a forecast without its date refuses the whole grid with a
//! message at each cell and saves nothing; an emptied cell deletes its line; a year a
//! decision locked is refused with the decision), explanations, investment rows (a typed
//! total over rows that carry the value is refused), carry-overs and equity as the unit's
//! editor; tolerances, settings, cost types, the ledger mapping, grants, allocations and
//! spend as a controller; and a refusal for every route (visitor, reader, auditor, an
//! editor of another unit, and for the municipality's register an editor of the unit)
//! that changes nothing. Each test makes its own data through the store's writer; the
//! read pages the forms redirect to are not this file's, so the tests follow the
//! redirect's address and read what was stored through the store.

mod common;

use common::App;
use uppsikt_domain::economy::{
    AccountRange, Amount, CarryOver, CostGroup, CostType, InvestmentNode, LineKind, Tolerance,
    TotalsPolicy, TreeKind,
};
use uppsikt_domain::grant::{
    Allocation, DecisionRef, Direction, Grant, GrantKind, GrantShare, GrantYear, Spend,
};
use uppsikt_domain::model::Id;
use uppsikt_domain::Period;
use uppsikt_store::ChangeSource;

async fn each(test: impl AsyncFn(&App)) {
    for app in common::apps().await {
        eprintln!("backend: {:?}", app.db.backend());
        test(&app).await;
        app.finish().await;
    }
}

/// What the tests make before they start.
struct Data {
    ks: Id,
    fsn: Id,
    staff: Id,
    revenue: Id,
    /// The investments' total (no value of its own) and a project under it (budget −10).
    total: Id,
    project: Id,
    carry_over: Id,
    grant: Id,
    allocation: Id,
    spend: Id,
}

const YEAR: i32 = 2019;

fn mnkr(tenths: i64) -> Amount {
    Amount(tenths * 10_000_000)
}

fn node(unit: Id, parent: Option<Id>, name: &str, budget: Option<Amount>) -> InvestmentNode {
    InvestmentNode {
        id: 0,
        unit_id: unit,
        year: YEAR,
        kind: TreeKind::Investment,
        parent_id: parent,
        code: String::new(),
        name: name.into(),
        position: 10,
        budget,
        outcome: None,
        forecast: None,
        forecast_on: None,
        carry_over: None,
        areas: Vec::new(),
        note: String::new(),
    }
}

async fn seed(app: &App) -> Data {
    let ks = app.org_id("KS").await;
    let fsn = app.org_id("FSN").await;
    let mut w = app
        .store()
        .writer("test", ChangeSource::Form)
        .await
        .unwrap();
    // The demo holds KS 2019 of seed 004; these tests build their own year.
    let store = app.store();
    for l in store.budget_lines(&[ks], YEAR, YEAR).await.unwrap() {
        w.delete_budget_line(l.id).await.unwrap();
    }
    for n in store.investment_nodes(ks, YEAR).await.unwrap() {
        if n.parent_id.is_none() {
            w.delete_investment_node(n.id).await.unwrap();
        }
    }
    for c in store.carry_overs(ks, YEAR).await.unwrap() {
        w.delete_carry_over(c.id).await.unwrap();
    }
    let staff = w
        .put_cost_type(&CostType {
            id: 0,
            code: "t-personal".into(),
            name: "Personal i test".into(),
            group: CostGroup::Staff,
            position: 10,
            ranges: vec![AccountRange::parse("5000-5999").unwrap()],
        })
        .await
        .unwrap();
    let revenue = w
        .put_cost_type(&CostType {
            id: 0,
            code: "t-intakter".into(),
            name: "Intäkter i test".into(),
            group: CostGroup::Revenue,
            position: 10,
            ranges: vec![AccountRange::parse("3000-3999").unwrap()],
        })
        .await
        .unwrap();
    let total = w
        .put_investment_node(&node(ks, None, "Totalt", None))
        .await
        .unwrap();
    let project = w
        .put_investment_node(&node(ks, Some(total), "IT investeringar", Some(mnkr(-100))))
        .await
        .unwrap();
    let carry_over = w
        .put_carry_over(&CarryOver {
            id: 0,
            unit_id: ks,
            year: YEAR,
            group: "Samhällsbyggnadsinvesteringar".into(),
            project: "Testprojektet".into(),
            position: 10,
            budget: Some(mnkr(-50)),
            outcome: Some(mnkr(-30)),
            transfer: Some(mnkr(20)),
        })
        .await
        .unwrap();
    let grant = w
        .put_grant(&Grant {
            id: 0,
            code: "G-TEST".into(),
            name: "Testbidraget".into(),
            direction: Direction::Received,
            grantor: "Staten".into(),
            legal_basis: "Lag (2030:5)".into(),
            kind: GrantKind::General,
            formula: String::new(),
            reporting_duty: String::new(),
            unit_id: Some(ks),
            allocate_by: None,
            rules: String::new(),
            note: String::new(),
            source: String::new(),
            years: vec![GrantYear {
                year: 2030,
                amount: Some(mnkr(24)),
                received_on: None,
                quoted: "ca 2,4 mnkr".into(),
                half_year: false,
            }],
        })
        .await
        .unwrap();
    let allocation = w
        .put_allocation(&Allocation {
            id: 0,
            grant_id: grant,
            year: 2030,
            decision: DecisionRef {
                body: "KS".into(),
                date: Some("2030-02-01".into()),
                paragraph: "§ 1".into(),
                case_ref: String::new(),
            },
            purpose: "Trygghetsskapande insatser".into(),
            amount: Some(mnkr(10)),
            share: GrantShare::Unknown,
            unit_id: Some(ks),
            area: None,
            obligation_id: None,
            commitment_id: None,
            situation_report_id: None,
            recipient: String::new(),
            follow_up: None,
        })
        .await
        .unwrap();
    let spend = w
        .put_spend(&Spend {
            id: 0,
            allocation_id: allocation,
            period: Period::Year(2030),
            amount: mnkr(2),
            booked_on: "P100".into(),
            note: String::new(),
        })
        .await
        .unwrap();
    w.commit().await.unwrap();
    Data {
        ks,
        fsn,
        staff,
        revenue,
        total,
        project,
        carry_over,
        grant,
        allocation,
        spend,
    }
}

fn location_id(location: &Option<String>, prefix: &str) -> Id {
    let l = location.as_deref().expect("a redirect");
    l.strip_prefix(prefix)
        .and_then(|rest| rest.parse().ok())
        .unwrap_or_else(|| panic!("{l} is not {prefix}{{id}}"))
}

#[tokio::test]
async fn every_route_refuses_who_may_not_and_changes_nothing() {
    each(async |app| {
        let d = seed(app).await;
        let reader = app.session_for("lasare").await;
        let ks_editor = app.session_for("redaktor-ks").await;
        let fsn_editor = app.session_for("redaktor-fsn").await;
        let auditor = app.session_for("revisor").await;
        let version = app.store().data_version().await.unwrap();
        let unit = format!("/economy/{}/{YEAR}", d.ks);
        // A unit's economy: Edit of the unit, not an editor of another unit.
        let edit = vec![&reader, &fsn_editor, &auditor];
        // The municipality's register and grants: controllers and administrators only.
        let register = vec![&reader, &ks_editor, &auditor];
        let staff_cell = format!("b-{}", d.staff);
        let routes: Vec<common::Route> = vec![
            (
                format!("{unit}/lines"),
                vec![(staff_cell.as_str(), "-1")],
                edit.clone(),
            ),
            (
                format!("{unit}/explanation"),
                vec![("text-netto", "X")],
                edit.clone(),
            ),
            (
                format!("{unit}/investments/new"),
                vec![("kind", "investering"), ("name", "X")],
                edit.clone(),
            ),
            (
                format!("/investments/{}/edit", d.project),
                vec![("kind", "investering"), ("name", "X")],
                edit.clone(),
            ),
            (
                format!("/investments/{}/delete", d.project),
                vec![],
                edit.clone(),
            ),
            (
                format!("{unit}/carry-overs/new"),
                vec![("group", "X"), ("project", "Y")],
                edit.clone(),
            ),
            (
                format!("{unit}/carry-overs/{}/edit", d.carry_over),
                vec![("group", "X"), ("project", "Y")],
                edit.clone(),
            ),
            (
                format!("{unit}/carry-overs/{}/delete", d.carry_over),
                vec![],
                edit.clone(),
            ),
            (format!("{unit}/equity"), vec![("cap", "3")], edit.clone()),
            (
                format!("/economy/{}/tolerance", d.ks),
                vec![("tolerance_kind", "procent"), ("tolerance_value", "5")],
                register.clone(),
            ),
            (
                "/economy/settings".into(),
                vec![
                    ("ledger_dimension", "2"),
                    ("totals_policy", "flagga"),
                    ("totals_tolerance", "1"),
                ],
                register.clone(),
            ),
            (
                "/economy/cost-types/new".into(),
                vec![("code", "x"), ("name", "X"), ("group", "kostnader")],
                register.clone(),
            ),
            (
                format!("/economy/cost-types/{}/edit", d.staff),
                vec![("code", "x"), ("name", "X"), ("group", "kostnader")],
                register.clone(),
            ),
            (
                "/economy/ledger-units".into(),
                vec![("object_code-0", "1")],
                register.clone(),
            ),
            (
                "/grants/new".into(),
                vec![("code", "X"), ("name", "X")],
                register.clone(),
            ),
            (
                format!("/grants/{}/edit", d.grant),
                vec![("code", "X"), ("name", "X")],
                register.clone(),
            ),
            (
                format!("/grants/{}/allocations/new", d.grant),
                vec![("year", "2030"), ("decision_body", "KS")],
                register.clone(),
            ),
            (
                format!("/allocations/{}/edit", d.allocation),
                vec![("year", "2030"), ("decision_body", "KS")],
                register.clone(),
            ),
            (
                format!("/allocations/{}/delete", d.allocation),
                vec![],
                register.clone(),
            ),
            (
                format!("/allocations/{}/spend/new", d.allocation),
                vec![("period", "2030"), ("amount", "1")],
                register.clone(),
            ),
            (
                format!("/spend/{}/delete", d.spend),
                vec![],
                register.clone(),
            ),
        ];
        common::assert_routes_refused(app, &routes).await;
        assert_eq!(
            app.store().data_version().await.unwrap(),
            version,
            "nothing changed"
        );
        // The unit's editor is let through to the unit's forms.
        for path in [
            format!("{unit}/lines"),
            format!("{unit}/explanation"),
            format!("{unit}/investments/new"),
            format!("/investments/{}/edit", d.project),
            format!("{unit}/carry-overs/{}/edit", d.carry_over),
            format!("{unit}/equity"),
        ] {
            let (status, html) = app.get_as(Some(&ks_editor), &path).await;
            assert_eq!(status, 200, "{path}: {html}");
        }
        // An address that names nothing is not found, for those let through; a
        // carry-over is found only under its own unit and year.
        for path in [
            "/investments/999999/edit".to_string(),
            format!("{unit}/carry-overs/999999/edit"),
            format!(
                "/economy/{}/{YEAR}/carry-overs/{}/edit",
                d.fsn, d.carry_over
            ),
            format!("/economy/{}/2020/carry-overs/{}/delete", d.ks, d.carry_over),
            "/economy/999999/2019/lines".to_string(),
            format!("/economy/{}/99999/lines", d.ks),
            "/economy/cost-types/999999/edit".to_string(),
            "/grants/999999/edit".to_string(),
            "/allocations/999999/edit".to_string(),
            "/spend/999999/delete".to_string(),
        ] {
            assert_eq!(app.get(&path).await.0, 404, "{path}");
        }
        // An investment row's history leads back to its board's economy (it has no page
        // of its own; `/investments/{id}` is not found).
        let (status, html) = app
            .get_as(
                Some(&ks_editor),
                &format!("/history/investments/{}", d.project),
            )
            .await;
        assert_eq!(status, 200, "{html}");
        assert!(
            html.contains(&format!("href=\"/economy/{}/{YEAR}\"", d.ks)),
            "{html}"
        );
        assert!(!html.contains(&format!("href=\"/investments/{}\"", d.project)));
    })
    .await;
}

#[tokio::test]
async fn the_budget_grid_saves_all_cells_or_none_and_a_decided_year_is_refused() {
    each(async |app| {
        let d = seed(app).await;
        let editor = app.session_for("redaktor-ks").await;
        let path = format!("/economy/{}/{YEAR}/lines", d.ks);
        let (status, html) = app.get_as(Some(&editor), &path).await;
        assert_eq!(status, 200);
        assert!(html.contains("Personal i test") && html.contains("Intäkter i test"));
        assert!(html.contains("Netto (utan kostnadsslag)"));

        let (b_staff, u_staff, p_staff) = (
            format!("b-{}", d.staff),
            format!("u-{}", d.staff),
            format!("p-{}", d.staff),
        );
        let b_revenue = format!("b-{}", d.revenue);
        let lines = async || app.store().budget_lines(&[d.ks], YEAR, YEAR).await.unwrap();
        // A bad cell and a forecast without its date: nothing is saved, each cell says why,
        // everything typed is kept.
        let version = app.store().data_version().await.unwrap();
        let (status, html, _) = app
            .post_as(
                Some(&editor),
                &path,
                &[
                    (b_staff.as_str(), "-8,8"),
                    (u_staff.as_str(), "nio"),
                    ("p-netto", "95,5"),
                    ("forecast_on", ""),
                ],
            )
            .await;
        assert_eq!(status, 422, "{html}");
        assert!(html.contains("”nio” är inget belopp"), "{html}");
        assert!(html.contains("En prognos måste ha det datum den gjordes"));
        assert!(html.contains("value=\"-8,8\""), "kept as typed");
        assert!(
            html.contains(&format!("href=\"#c-{u_staff}\"")),
            "the summary links the cell"
        );
        // More precision than an öre is refused, never rounded away.
        let (status, html, _) = app
            .post_as(Some(&editor), &path, &[(b_staff.as_str(), "0,000000001")])
            .await;
        assert_eq!(status, 422);
        assert!(html.contains("”0,000000001” är inget belopp"));
        assert_eq!(app.store().data_version().await.unwrap(), version);
        assert!(lines().await.is_empty(), "nothing half-written");

        // All cells saved in one go; a Swedish minus sign and spaces are read.
        let (status, _, location) = app
            .post_as(
                Some(&editor),
                &path,
                &[
                    (b_staff.as_str(), "-8,8"),
                    (u_staff.as_str(), "−9,1"),
                    (p_staff.as_str(), ""),
                    (b_revenue.as_str(), "1 234,5"),
                    ("b-netto", "100"),
                    ("p-netto", "95,5"),
                    ("forecast_on", "2019-08-31"),
                ],
            )
            .await;
        assert_eq!(status, 303);
        assert_eq!(
            location.as_deref(),
            Some(format!("/economy/{}/{YEAR}", d.ks).as_str())
        );
        let stored = lines().await;
        let amount = |ct: Option<Id>, kind: LineKind| {
            stored
                .iter()
                .find(|l| l.cost_type_id == ct && l.kind == kind)
                .map(|l| (l.amount, l.forecast_on.clone(), l.period))
        };
        assert_eq!(stored.len(), 5, "{stored:?}");
        assert_eq!(
            amount(Some(d.staff), LineKind::Budget),
            Some((mnkr(-88), None, Period::Year(YEAR)))
        );
        assert_eq!(
            amount(Some(d.staff), LineKind::Outcome).map(|a| a.0),
            Some(mnkr(-91))
        );
        assert_eq!(
            amount(Some(d.revenue), LineKind::Budget).map(|a| a.0),
            Some(mnkr(12345))
        );
        assert_eq!(
            amount(None, LineKind::Forecast),
            Some((mnkr(955), Some("2019-08-31".into()), Period::Year(YEAR)))
        );

        // The grid shows what is stored; an emptied cell deletes its line.
        let (status, html) = app.get_as(Some(&editor), &path).await;
        assert_eq!(status, 200);
        assert!(html.contains("value=\"-9,1\"") && html.contains("value=\"2019-08-31\""));
        let (status, _, _) = app
            .post_as(
                Some(&editor),
                &path,
                &[
                    (b_staff.as_str(), "-8,8"),
                    (u_staff.as_str(), ""),
                    (b_revenue.as_str(), "1234,5"),
                    ("b-netto", "100"),
                    ("p-netto", "95,5"),
                    ("forecast_on", "2019-08-31"),
                ],
            )
            .await;
        assert_eq!(status, 303);
        let stored = lines().await;
        assert_eq!(stored.len(), 4);
        assert!(!stored
            .iter()
            .any(|l| l.kind == LineKind::Outcome && l.cost_type_id == Some(d.staff)));

        // KS's 2019 decided: the grid says so and refuses every change.
        let (status, _, _) = app
            .post(&format!("/org/{}/lock", d.ks), &common::KS_2019_DECISION)
            .await;
        assert_eq!(status, 303, "KS 2019 locked");
        let (status, html) = app.get_as(Some(&editor), &path).await;
        assert_eq!(status, 200);
        assert!(html.contains("är låst genom beslut"), "{html}");
        let version = app.store().data_version().await.unwrap();
        let (status, html, _) = app
            .post_as(
                Some(&editor),
                &path,
                &[(b_staff.as_str(), "-9"), ("b-netto", "100")],
            )
            .await;
        assert_eq!(status, 422);
        assert!(
            html.contains("Perioden 2019 är låst genom beslut"),
            "{html}"
        );
        assert!(html.contains("value=\"-9\""), "kept as typed");
        assert_eq!(app.store().data_version().await.unwrap(), version);
        assert_eq!(lines().await, stored, "nothing changed");
        // So are the year's other forms.
        let (status, html, _) = app
            .post_as(
                Some(&editor),
                &format!("/investments/{}/delete", d.project),
                &[],
            )
            .await;
        assert_eq!(status, 422);
        assert!(html.contains("låst genom beslut"), "{html}");
        let (status, _, _) = app
            .post_as(
                Some(&editor),
                &format!("/economy/{}/{YEAR}/equity", d.ks),
                &[("cap", "3")],
            )
            .await;
        assert_eq!(status, 422);
        assert_eq!(app.store().data_version().await.unwrap(), version);
    })
    .await;
}

#[tokio::test]
async fn a_units_explanations_investments_carry_overs_and_equity() {
    each(async |app| {
        let d = seed(app).await;
        let editor = app.session_for("redaktor-ks").await;
        let unit = format!("/economy/{}/{YEAR}", d.ks);
        let post =
            async |path: &str, form: &[(&str, &str)]| app.post_as(Some(&editor), path, form).await;

        // Explanations: the unit's and a cost type's; an emptied one is removed.
        let staff_text = format!("text-{}", d.staff);
        let (status, _, location) = post(
            &format!("{unit}/explanation"),
            &[
                ("text-netto", "Högre kostnader för konsulter."),
                (staff_text.as_str(), "Vakanser."),
            ],
        )
        .await;
        assert_eq!(status, 303);
        assert_eq!(location.as_deref(), Some(unit.as_str()));
        let explanations = app
            .store()
            .budget_explanations(&[d.ks], YEAR)
            .await
            .unwrap();
        assert_eq!(explanations.len(), 2);
        let (status, html) = app
            .get_as(Some(&editor), &format!("{unit}/explanation"))
            .await;
        assert_eq!(status, 200);
        assert!(html.contains("Vakanser."));
        let (status, _, _) = post(
            &format!("{unit}/explanation"),
            &[("text-netto", "Högre kostnader för konsulter.")],
        )
        .await;
        assert_eq!(status, 303);
        let explanations = app
            .store()
            .budget_explanations(&[d.ks], YEAR)
            .await
            .unwrap();
        assert_eq!(explanations.len(), 1);
        assert_eq!(explanations[0].cost_type_id, None);

        // An investment row under the total, with areas.
        let total = d.total.to_string();
        let new = format!("{unit}/investments/new");
        let (status, _, location) = post(
            &new,
            &[
                ("kind", "investering"),
                ("parent", &total),
                ("name", "Fiber Skogås-Trångsund"),
                ("budget", "-2,5"),
                ("outcome", "-1"),
                ("areas", "Skogås\nTrångsund"),
            ],
        )
        .await;
        assert_eq!(status, 303);
        assert_eq!(location.as_deref(), Some(unit.as_str()));
        let nodes = app.store().investment_nodes(d.ks, YEAR).await.unwrap();
        let fiber = nodes
            .iter()
            // The demo holds seed 004's row of the same name under its own total.
            .find(|n| n.name == "Fiber Skogås-Trångsund" && n.parent_id == Some(d.total))
            .expect("stored");
        assert_eq!(fiber.parent_id, Some(d.total));
        assert_eq!(fiber.budget, Some(mnkr(-25)));
        assert_eq!(fiber.areas, vec!["Skogås", "Trångsund"]);
        assert!(fiber.position > 10, "after its sibling");

        let version = app.store().data_version().await.unwrap();
        // A sum typed over rows that carry the value: the store refuses, at the field.
        let (status, html, _) = post(
            &format!("/investments/{}/edit", d.total),
            &[
                ("kind", "investering"),
                ("name", "Totalt"),
                ("budget", "-20"),
            ],
        )
        .await;
        assert_eq!(status, 422);
        assert!(html.contains("räknas fram ur raderna under"), "{html}");
        assert!(html.contains("f-budget-error"), "at the budget");
        // An exploitation row under an investment row, a forecast without its date.
        let (status, html, _) = post(
            &new,
            &[
                ("kind", "exploatering"),
                ("parent", &total),
                ("name", "Grantorp 5:3"),
            ],
        )
        .await;
        assert_eq!(status, 422);
        assert!(html.contains("samma tabell"), "{html}");
        let (status, html, _) = post(
            &new,
            &[
                ("kind", "investering"),
                ("name", "Ny rad"),
                ("forecast", "-1"),
            ],
        )
        .await;
        assert_eq!(status, 422);
        assert!(html.contains("En prognos måste ha det datum"), "{html}");
        assert!(html.contains("Ny rad"), "kept as typed");
        assert_eq!(app.store().data_version().await.unwrap(), version);

        // Edit, then remove with the rows under it.
        let (status, html) = app
            .get_as(Some(&editor), &format!("/investments/{}/edit", fiber.id))
            .await;
        assert_eq!(status, 200);
        assert!(html.contains("value=\"-2,5\""), "{html}");
        let (status, _, _) = post(
            &format!("/investments/{}/edit", fiber.id),
            &[
                ("kind", "investering"),
                ("parent", &total),
                ("name", "Fiber"),
                ("budget", "-3"),
            ],
        )
        .await;
        assert_eq!(status, 303);
        let n = app.store().investment_node(fiber.id).await.unwrap();
        assert_eq!((n.name.as_str(), n.budget), ("Fiber", Some(mnkr(-30))));
        assert!(n.areas.is_empty(), "emptied");
        let (status, html) = app
            .get_as(Some(&editor), &format!("/investments/{}/delete", d.total))
            .await;
        assert_eq!(status, 200);
        assert!(html.contains("de 2 raderna under den"), "{html}");
        let (status, _, location) = post(&format!("/investments/{}/delete", d.total), &[]).await;
        assert_eq!(status, 303);
        assert_eq!(location.as_deref(), Some(unit.as_str()));
        assert!(app
            .store()
            .investment_nodes(d.ks, YEAR)
            .await
            .unwrap()
            .is_empty());

        // Carry-overs: add, change, remove.
        let (status, _, _) = post(
            &format!("{unit}/carry-overs/new"),
            &[
                ("group", "Övriga investeringar"),
                ("project", "IT-stöd"),
                ("budget", "-4"),
                ("outcome", "-1,5"),
                ("transfer", "2,5"),
            ],
        )
        .await;
        assert_eq!(status, 303);
        let all = app.store().carry_overs(d.ks, YEAR).await.unwrap();
        assert_eq!(all.len(), 2);
        let it = all.iter().find(|c| c.project == "IT-stöd").unwrap();
        assert_eq!(it.transfer, Some(mnkr(25)));
        let (status, html, _) = post(
            &format!("{unit}/carry-overs/{}/edit", it.id),
            &[("group", ""), ("project", "IT-stöd"), ("budget", "fyra")],
        )
        .await;
        assert_eq!(status, 422);
        assert!(html.contains("Fältet måste fyllas i") && html.contains("”fyra” är inget belopp"));
        let (status, _, _) = post(
            &format!("{unit}/carry-overs/{}/edit", it.id),
            &[("group", "Övriga investeringar"), ("project", "IT-stöd 2")],
        )
        .await;
        assert_eq!(status, 303);
        let (status, _, _) =
            post(&format!("{unit}/carry-overs/{}/delete", d.carry_over), &[]).await;
        assert_eq!(status, 303);
        let all = app.store().carry_overs(d.ks, YEAR).await.unwrap();
        assert_eq!(all.len(), 1);
        assert_eq!(
            (all[0].project.as_str(), all[0].budget),
            ("IT-stöd 2", None)
        );

        // Equity: the cap in per cent, a cap over 100 % refused.
        let (status, html) = app.get_as(Some(&editor), &format!("{unit}/equity")).await;
        assert_eq!(status, 200);
        assert!(html.contains("value=\"3\""), "3 % offered");
        let (status, html, _) = post(&format!("{unit}/equity"), &[("cap", "150")]).await;
        assert_eq!(status, 422);
        assert!(html.contains("Taket för eget kapital måste vara 0–100 %"));
        let (status, _, _) = post(
            &format!("{unit}/equity"),
            &[
                ("cap", "3"),
                ("opening", "15,5"),
                ("requested_carry_over", "28,7"),
                ("reconciliation", "Tabellen summerar 33,5."),
            ],
        )
        .await;
        assert_eq!(status, 303);
        let e = app.store().equity_year(d.ks, YEAR).await.unwrap().unwrap();
        assert_eq!(e.cap_permille, 30);
        assert_eq!(e.opening, Some(mnkr(155)));
        assert_eq!(e.withdrawal, Amount::ZERO);
        assert_eq!(e.requested_carry_over, Some(mnkr(287)));
    })
    .await;
}

#[tokio::test]
async fn the_economy_register_settings_tolerances_cost_types_and_ledger_mapping() {
    each(async |app| {
        let d = seed(app).await;
        // Settings.
        let (status, _, location) = app
            .post(
                "/economy/settings",
                &[
                    ("ledger_dimension", "2"),
                    ("totals_policy", "flagga"),
                    ("totals_tolerance", "0,3"),
                ],
            )
            .await;
        assert_eq!(status, 303);
        assert_eq!(location.as_deref(), Some("/economy"));
        let s = app.store().economy_settings().await.unwrap();
        assert_eq!(
            (s.ledger_dimension, s.totals_policy, s.totals_tolerance),
            (2, TotalsPolicy::Flag, mnkr(3))
        );
        let (status, html) = app.get("/economy/settings").await;
        assert_eq!(status, 200);
        assert!(html.contains("value=\"0,3\""));

        // A unit's tolerance: per cent, mnkr, back to the standard; bad ones refused.
        let path = format!("/economy/{}/tolerance", d.ks);
        let version = app.store().data_version().await.unwrap();
        for (kind, value, message) in [
            ("standard", "2", "Välj om toleransen är en procentsats"),
            ("mnkr", "-1", "Toleransen måste vara ett belopp ≥ 0"),
            ("procent", "120", "Toleransen måste vara ett belopp ≥ 0"),
            ("procent", "", "Fältet måste fyllas i"),
        ] {
            let (status, html, _) = app
                .post(
                    &path,
                    &[("tolerance_kind", kind), ("tolerance_value", value)],
                )
                .await;
            assert_eq!(status, 422, "{kind} {value}");
            assert!(html.contains(message), "{kind} {value}: {html}");
        }
        assert_eq!(app.store().data_version().await.unwrap(), version);
        let tolerance = async || {
            app.store()
                .budget_tolerances()
                .await
                .unwrap()
                .get(&d.ks)
                .copied()
        };
        let (status, _, _) = app
            .post(
                &path,
                &[("tolerance_kind", "procent"), ("tolerance_value", "2,5")],
            )
            .await;
        assert_eq!(status, 303);
        assert_eq!(tolerance().await, Some(Tolerance::Permille(25)));
        let (status, _, _) = app
            .post(
                &path,
                &[("tolerance_kind", "mnkr"), ("tolerance_value", "0,5")],
            )
            .await;
        assert_eq!(status, 303);
        assert_eq!(tolerance().await, Some(Tolerance::Amount(mnkr(5))));
        let (status, html) = app.get(&path).await;
        assert_eq!(status, 200);
        assert!(html.contains("value=\"0,5\""));
        let (status, _, _) = app
            .post(
                &path,
                &[("tolerance_kind", "standard"), ("tolerance_value", "")],
            )
            .await;
        assert_eq!(status, 303);
        assert_eq!(tolerance().await, None);

        // Cost types with account ranges; a taken name and a bad range refused.
        let (status, html, _) = app
            .post(
                "/economy/cost-types/new",
                &[
                    ("code", "t-personal2"),
                    ("name", "Personal i test"),
                    ("group", "personal"),
                ],
            )
            .await;
        assert_eq!(status, 422);
        assert!(html.contains("”Personal i test” finns redan"), "{html}");
        let (status, html, _) = app
            .post(
                "/economy/cost-types/new",
                &[
                    ("code", "t-ovrigt"),
                    ("name", "Övrigt i test"),
                    ("group", "kostnader"),
                    ("ranges", "6000-6999\n60-69"),
                ],
            )
            .await;
        assert_eq!(status, 422);
        assert!(html.contains("”60-69” är inget kontointervall"), "{html}");
        let (status, _, location) = app
            .post(
                "/economy/cost-types/new",
                &[
                    ("code", "t-ovrigt"),
                    ("name", "Övrigt i test"),
                    ("group", "kostnader"),
                    ("ranges", "6000-6999, 7000–7999\n4010"),
                ],
            )
            .await;
        assert_eq!(status, 303);
        assert_eq!(location.as_deref(), Some("/economy"));
        let all = app.store().cost_types().await.unwrap();
        let other = all.iter().find(|c| c.code == "t-ovrigt").unwrap();
        assert_eq!(other.group, CostGroup::Cost);
        assert_eq!(
            other.ranges.iter().map(|r| r.label()).collect::<Vec<_>>(),
            vec!["6000–6999", "7000–7999", "4010"]
        );
        let edit = format!("/economy/cost-types/{}/edit", d.staff);
        let (status, html) = app.get(&edit).await;
        assert_eq!(status, 200);
        assert!(html.contains("5000–5999"));
        let (status, _, _) = app
            .post(
                &edit,
                &[
                    ("code", "t-personal"),
                    ("name", "Personal i test, netto"),
                    ("group", "personal"),
                    ("ranges", "5000–5999"),
                ],
            )
            .await;
        assert_eq!(status, 303);
        let all = app.store().cost_types().await.unwrap();
        let staff = all.iter().find(|c| c.id == d.staff).unwrap();
        assert_eq!(staff.name, "Personal i test, netto");
        assert_eq!(staff.position, 10, "kept");

        // The ledger mapping: rows, a code given twice refused, an emptied row removed.
        let ks = d.ks.to_string();
        let fsn = d.fsn.to_string();
        let version = app.store().data_version().await.unwrap();
        let (status, html, _) = app
            .post(
                "/economy/ledger-units",
                &[
                    ("object_code-0", "100"),
                    ("unit-0", &ks),
                    ("object_code-1", "100"),
                    ("unit-1", &fsn),
                    ("object_code-2", "300"),
                ],
            )
            .await;
        assert_eq!(status, 422);
        assert!(html.contains("”100” finns redan"), "{html}");
        assert!(html.contains("f-unit-2-error"), "a row without its unit");
        assert_eq!(app.store().data_version().await.unwrap(), version);
        let (status, _, _) = app
            .post(
                "/economy/ledger-units",
                &[
                    ("object_code-0", "100"),
                    ("unit-0", &ks),
                    ("ledger_name-0", "Kommunledning"),
                    ("object_code-1", "200"),
                    ("unit-1", &fsn),
                ],
            )
            .await;
        assert_eq!(status, 303);
        assert_eq!(app.store().ledger_units().await.unwrap().len(), 2);
        let (status, html) = app.get("/economy/ledger-units").await;
        assert_eq!(status, 200);
        assert!(html.contains("Kommunledning") && html.contains("Objekt 5"));
        let (status, _, _) = app
            .post(
                "/economy/ledger-units",
                &[
                    ("object_code-0", ""),
                    ("object_code-1", "200"),
                    ("unit-1", &ks),
                ],
            )
            .await;
        assert_eq!(status, 303);
        let mapped = app.store().ledger_units().await.unwrap();
        assert_eq!(mapped.len(), 1);
        assert_eq!(
            (mapped[0].object_code.as_str(), mapped[0].unit_id),
            ("200", d.ks)
        );
    })
    .await;
}

#[tokio::test]
async fn grants_with_their_years_allocations_and_spend() {
    each(async |app| {
        let d = seed(app).await;
        let ks = d.ks.to_string();
        let mut form = vec![
            ("code", "G-LAG2030"),
            ("name", "Bidrag enligt lagen"),
            ("direction", "mottaget"),
            ("kind", "generellt"),
            ("unit_id", ks.as_str()),
            ("allocate_by", "2031-03-31"),
            ("year-0", "2031"),
            ("amount-0", "2,4"),
            ("year-1", "2030"),
            ("amount-1", "1,9"),
            ("half_year-1", "ja"),
            ("year-2", "2031"),
        ];
        let version = app.store().data_version().await.unwrap();
        let (status, html, _) = app.post("/grants/new", &form).await;
        assert_eq!(status, 422);
        assert!(html.contains("”2031” finns redan"), "{html}");
        assert_eq!(app.store().data_version().await.unwrap(), version);
        form.retain(|(k, _)| *k != "year-2");
        let (status, _, location) = app.post("/grants/new", &form).await;
        assert_eq!(status, 303);
        let id = location_id(&location, "/grants/");
        let g = app.store().grant(id).await.unwrap();
        assert_eq!(g.kind, GrantKind::General);
        assert_eq!(g.unit_id, Some(d.ks));
        assert_eq!(
            g.years
                .iter()
                .map(|y| (y.year, y.amount, y.half_year))
                .collect::<Vec<_>>(),
            vec![(2030, Some(mnkr(19)), true), (2031, Some(mnkr(24)), false)]
        );
        // The code is the grant's own.
        let (status, html, _) = app
            .post(
                &format!("/grants/{id}/edit"),
                &[
                    ("code", "G-TEST"),
                    ("name", "X"),
                    ("direction", "mottaget"),
                    ("kind", "generellt"),
                ],
            )
            .await;
        assert_eq!(status, 422);
        assert!(html.contains("”G-TEST” finns redan"), "{html}");
        let (status, html) = app.get(&format!("/grants/{id}/edit")).await;
        assert_eq!(status, 200);
        assert!(html.contains("value=\"1,9\""));

        // Allocations: a share of 140 % and one without any target refused; "okänd".
        let path = format!("/allocations/{}/edit", d.allocation);
        let (status, html, _) = app
            .post(
                &path,
                &[("year", "2030"), ("decision_body", "KS"), ("share", "140")],
            )
            .await;
        assert_eq!(status, 422);
        assert!(html.contains("mellan 0 och 100 %"), "{html}");
        let (status, html, _) = app
            .post(
                &format!("/grants/{id}/allocations/new"),
                &[("year", "2031"), ("decision_body", "KS"), ("share", "")],
            )
            .await;
        assert_eq!(status, 422);
        assert!(html.contains("Ange vad bidraget fördelas till"), "{html}");
        let (status, html, _) = app
            .post(
                &format!("/grants/{id}/allocations/new"),
                &[
                    ("year", "2031"),
                    ("decision_body", "KS"),
                    ("purpose", "Föreningsstöd"),
                    ("follow_up", "Redovisat i tid."),
                ],
            )
            .await;
        assert_eq!(status, 422, "a follow-up needs its date and result");
        assert!(html.contains("f-follow_up_date-error"), "{html}");
        let (status, _, location) = app
            .post(
                &format!("/grants/{id}/allocations/new"),
                &[
                    ("year", "2031"),
                    ("decision_body", "Kommunkoncernens ledningsgrupp"),
                    ("decision_date", "2031-02-10"),
                    ("paragraph", "§ 4"),
                    ("purpose", "Trygghetsvärdar"),
                    ("amount", "1,2"),
                    ("share", "okänd"),
                    ("unit_id", &ks),
                ],
            )
            .await;
        assert_eq!(status, 303);
        assert_eq!(location.as_deref(), Some(format!("/grants/{id}").as_str()));
        let allocations = app.store().grant_allocations(Some(id)).await.unwrap();
        assert_eq!(allocations.len(), 1);
        let a = &allocations[0];
        assert_eq!(a.share, GrantShare::Unknown);
        assert_eq!(a.amount, Some(mnkr(12)));
        assert_eq!(a.decision.paragraph, "§ 4");
        let (status, html) = app.get(&format!("/allocations/{}/edit", a.id)).await;
        assert_eq!(status, 200);
        assert!(html.contains("value=\"okänd\""), "{html}");
        let (status, _, _) = app
            .post(
                &format!("/allocations/{}/edit", a.id),
                &[
                    ("year", "2031"),
                    ("decision_body", "Kommunkoncernens ledningsgrupp"),
                    ("purpose", "Trygghetsvärdar"),
                    ("share", "40 %"),
                    ("unit_id", &ks),
                    ("follow_up_date", "2032-02-01"),
                    ("follow_up_status", "brister"),
                ],
            )
            .await;
        assert_eq!(status, 303);
        let a = app.store().grant_allocations(Some(id)).await.unwrap()[0].clone();
        assert_eq!(a.share, GrantShare::Known(400));
        assert_eq!(a.amount, None, "emptied");
        assert!(a.follow_up.is_some());

        // Spend: a week is refused; a tertial recorded; removed again.
        let spend = format!("/allocations/{}/spend/new", a.id);
        let (status, html, _) = app
            .post(&spend, &[("period", "2031W10"), ("amount", "0,3")])
            .await;
        assert_eq!(status, 422);
        assert!(html.contains("inte per vecka"), "{html}");
        let (status, _, location) = app
            .post(
                &spend,
                &[
                    ("period", "2031T1"),
                    ("amount", "0,3"),
                    ("booked_on", "P200"),
                ],
            )
            .await;
        assert_eq!(status, 303);
        assert_eq!(location.as_deref(), Some(format!("/grants/{id}").as_str()));
        let spent = app.store().grant_spend(Some(id)).await.unwrap();
        assert_eq!(spent.len(), 1);
        assert_eq!(
            (spent[0].period, spent[0].amount),
            (Period::Tertial(2031, 1), mnkr(3))
        );
        let (status, html) = app.get(&format!("/spend/{}/delete", spent[0].id)).await;
        assert_eq!(status, 200);
        assert!(html.contains("0,3"), "{html}");
        let (status, _, _) = app
            .post(&format!("/spend/{}/delete", spent[0].id), &[])
            .await;
        assert_eq!(status, 303);
        assert!(app.store().grant_spend(Some(id)).await.unwrap().is_empty());

        // Removing the seeded allocation removes its spend with it.
        let (status, html) = app
            .get(&format!("/allocations/{}/delete", d.allocation))
            .await;
        assert_eq!(status, 200);
        assert!(html.contains("Dess rad med användning tas bort"), "{html}");
        let (status, _, location) = app
            .post(&format!("/allocations/{}/delete", d.allocation), &[])
            .await;
        assert_eq!(status, 303);
        assert_eq!(
            location.as_deref(),
            Some(format!("/grants/{}", d.grant).as_str())
        );
        assert!(app
            .store()
            .grant_allocations(Some(d.grant))
            .await
            .unwrap()
            .is_empty());
        assert!(app
            .store()
            .grant_spend(Some(d.grant))
            .await
            .unwrap()
            .is_empty());
    })
    .await;
}
