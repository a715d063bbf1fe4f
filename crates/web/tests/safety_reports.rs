//! The area follow-up and the report on crime prevention as report jobs from the report
//! form, on every backend with the demo: the kinds are offered on the form, each builds
//! from the demo's areas, lägesbilder and duties, and a tertial for the yearly report is
//! refused on the form in Swedish with nothing started.

mod common;

use common::apps;

#[tokio::test]
async fn the_report_form_starts_both_safety_reports() {
    for app in apps().await {
        let ks = app.org_id("KS").await;
        let (status, form) = app.get(&format!("/org/{ks}/reports")).await;
        assert_eq!(status, 200);
        for option in ["omradesuppfoljning", "brottsforebyggande"] {
            assert!(form.contains(&format!("value=\"{option}\"")), "{option}");
        }
        let areas = app
            .report_text(
                ks,
                &[
                    ("kind", "omradesuppfoljning"),
                    ("period", "2023T3"),
                    ("format", "html"),
                ],
            )
            .await;
        assert!(areas.contains("Områdesuppföljning tertial 3 2023"));
        assert!(areas.contains("Vårby: 8 av 10"));
        let crime = app
            .report_text(
                ks,
                &[
                    ("kind", "brottsforebyggande"),
                    ("period", "2024"),
                    ("format", "html"),
                ],
            )
            .await;
        assert!(crime.contains("Brottsförebyggande arbete 2024"));
        assert!(crime.contains("2 av 4"));
        let (status, body, location) = app
            .post(
                &format!("/org/{ks}/reports"),
                &[
                    ("kind", "brottsforebyggande"),
                    ("period", "2024T1"),
                    ("format", "pdf"),
                ],
            )
            .await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(location, None);
        assert!(body.contains("avser ett helt år"));
        app.finish().await;
    }
}
