//! Forms of the crime-prevention register (Lag 2023:196 and the area picture): areas with
//! the police's classifications, the municipality's level scale, situation reports
//! (lägesbilder) with a level per area and whom they were presented to, forums with their
//! members and meetings, agreements with parties and focus areas, statutes with their
//! duties, and the duties' evidence and status assessments.
//!
//! Every form re-displays with what was typed and the Swedish refusal
//! (`messages::area::refusal`) at its field; a refused save changes nothing. After a save
//! the answer redirects (303) to the object's page (`/areas/{id}`, `/situation-reports/{id}`,
//! `/forums/{id}`, `/agreements/{id}`, `/statutes/{id}`, `/obligations/{id}`).
//!
//! Guards ([`safety_form_routes`]): areas are [`Action::ManageSources`] (reference data
//! every unit sees); the rest of the register is [`Action::ManageSafety`]; a duty's status
//! assessment is [`Action::ManageSafety`], [`Action::ManageAudits`] (the auditors) or
//! [`Action::Edit`] of the duty's responsible board.

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;

use axum::extract::{MatchedPath, RawPathParams, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use uppsikt_domain::access::{Action, Role};
use uppsikt_domain::area::{
    self, Area, AreaKind, AreaRefusal, Classification, PoliceClass, MAX_ITEMS, MAX_NAME_CHARS,
    MAX_TEXT_CHARS,
};
use uppsikt_domain::forum::{
    Agreement, AgreementKind, Council, Documented, FocusArea, Forum, Meeting, Member, Party,
    PartyKind,
};
use uppsikt_domain::messages::{self, area as msg};
use uppsikt_domain::model::Id;
use uppsikt_domain::obligation::{
    self, ComplianceStatus, Evidence, EvidenceKind, Obligation, ObligationAssessment, Statute,
};
use uppsikt_domain::personal_number;
use uppsikt_domain::situation::{
    AreaLevel, ChecklistItem, LevelScale, Presentation, ReportStatus, SituationKind,
    SituationReport,
};
use uppsikt_store::{StoreError, Writer};

use super::audits::{board_choices, chosen_ids, date_or_none, optional_choice, page, yes_no};
use super::{
    field_name, Errors, Field, FieldKind, Form, FormPage, Input, Post, Refusal, RefusedAt,
};
use crate::auth::Viewer;
use crate::error::{AppError, Path, Result};
use crate::AppState;

/// The routes of this module with their guards, merged into the router in one place.
pub fn safety_form_routes(state: &AppState) -> Router<AppState> {
    // Areas are the municipality's reference data (outcome breakdowns name them).
    let areas = Router::new()
        .route("/areas/new", get(new_form::<Area>).post(create::<Area>))
        .route(
            "/areas/{id}/edit",
            get(edit_form::<Area>).post(update::<Area>),
        )
        .route_layer(crate::guard(state, Action::ManageSources));
    // The register KS keeps under Lag (2023:196).
    let register = Router::new()
        .route("/situation-reports/scale", get(scale_form).post(save_scale))
        .route(
            "/situation-reports/new",
            get(new_form::<SituationReport>).post(create::<SituationReport>),
        )
        .route(
            "/situation-reports/{id}/edit",
            get(edit_form::<SituationReport>).post(update::<SituationReport>),
        )
        .route(
            "/situation-reports/{id}/presentations/new",
            get(presentation_form).post(add_presentation),
        )
        .route("/forums/new", get(new_form::<Forum>).post(create::<Forum>))
        .route(
            "/forums/{id}/edit",
            get(edit_form::<Forum>).post(update::<Forum>),
        )
        .route(
            "/forums/{id}/meetings/new",
            get(meeting_form).post(add_meeting),
        )
        .route(
            "/agreements/new",
            get(new_form::<Agreement>).post(create::<Agreement>),
        )
        .route(
            "/agreements/{id}/edit",
            get(edit_form::<Agreement>).post(update::<Agreement>),
        )
        .route(
            "/statutes/new",
            get(new_form::<Statute>).post(create::<Statute>),
        )
        .route(
            "/statutes/{id}/edit",
            get(edit_form::<Statute>).post(update::<Statute>),
        )
        .route(
            "/statutes/{id}/obligations/new",
            get(new_obligation_form).post(create_obligation),
        )
        .route(
            "/obligations/{id}/edit",
            get(edit_obligation_form).post(update_obligation),
        )
        .route(
            "/obligations/{id}/evidence/new",
            get(evidence_form).post(add_evidence),
        )
        .route(
            "/obligations/{id}/evidence/{eid}/remove",
            get(remove_evidence_form).post(remove_evidence),
        )
        .route_layer(crate::guard(state, Action::ManageSafety));
    // A duty's status: the register's keepers, the auditors, or the responsible board.
    let assess = Router::new()
        .route(
            "/obligations/{id}/assessments/new",
            get(assessment_form).post(add_assessment),
        )
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            assessment_guard,
        ));
    areas.merge(register).merge(assess)
}

/// Lets through those who keep the register ([`Action::ManageSafety`]) and the auditors
/// ([`Action::ManageAudits`]); anyone else is asked for [`Action::Edit`] of the duty's
/// responsible board (the guard resolves it from the address), with its refusal.
async fn assessment_guard(
    State(state): State<AppState>,
    viewer: Viewer,
    matched: Option<MatchedPath>,
    params: RawPathParams,
    req: Request,
    next: Next,
) -> Response {
    if viewer.allows(Action::ManageSafety, &[]) || viewer.allows(Action::ManageAudits, &[]) {
        return next.run(req).await;
    }
    crate::auth::guard(
        State((state, Action::Edit)),
        viewer,
        matched,
        params,
        req,
        next,
    )
    .await
}

// ---- Shared parts ----

/// The trails are the read pages' own (`crate::areas`, `crate::safety`); a form shows the
/// trail of the page it leads back to. Where a new object's form goes back to: its list.
const AREAS_LIST: &str = "/areas";
const REPORTS_LIST: &str = "/situation-reports";
const HUB_LIST: &str = "/crime-prevention";

/// A link that is not a web address.
const URL_REFUSED: &str = "Länken ska vara en webbadress som börjar med https:// eller http://.";
/// A party line without a known kind.
const PARTY_KIND_HINT: &str =
    "kommun, polisen, räddningstjänst, kriminalvården, kommunalt bolag eller annan part";

/// (code, Swedish label) of a coded enum's values, for a select, radios or checkboxes.
fn coded<T: Copy>(
    all: &[T],
    code: impl Fn(T) -> &'static str,
    label: impl Fn(T) -> &'static str,
) -> Vec<(String, String)> {
    all.iter()
        .map(|&v| (code(v).to_string(), label(v).to_string()))
        .collect()
}

/// Options with an empty first choice.
fn with_empty(empty: &str, options: Vec<(String, String)>) -> FieldKind {
    let mut o = vec![(String::new(), empty.to_string())];
    o.extend(options);
    FieldKind::Select(o)
}

fn id_text(id: Option<Id>) -> String {
    id.map(|i| i.to_string()).unwrap_or_default()
}

fn yes(input: &Input, field: &str) -> bool {
    input.get(field).is_some_and(|v| v == "yes")
}

fn yes_text(b: bool) -> String {
    if b { "yes" } else { "no" }.into()
}

fn some_text(text: String) -> Option<String> {
    (!text.is_empty()).then_some(text)
}

/// The id chosen in a select of `form`: empty gives `Some(None)`; an id the select does not
/// offer is refused at the field (what can be chosen is what the form offered).
fn select_id(
    e: &mut Errors,
    form: &FormPage,
    input: &Input,
    field: &'static str,
) -> Option<Option<Id>> {
    let id = e.optional_id(input, field)?;
    let Some(id) = id else {
        return Some(None);
    };
    let offered = form
        .fields
        .iter()
        .find(|f| f.name == field)
        .is_some_and(|f| f.options().iter().any(|(v, _)| *v == id.to_string()));
    if offered {
        Some(Some(id))
    } else {
        e.add(field, messages::unknown_choice(&id.to_string()));
        None
    }
}

/// The values chosen in a checkbox field of `form`.
fn checked(form: &FormPage, input: &Input, field: &str) -> Vec<String> {
    form.fields
        .iter()
        .find(|f| f.name == field)
        .map(|f| f.checked_in(input))
        .unwrap_or_default()
}

/// The ids chosen in a checkbox field of `form`.
fn checked_ids(form: &FormPage, input: &Input, field: &str) -> Vec<Id> {
    form.fields
        .iter()
        .find(|f| f.name == field)
        .map(|f| chosen_ids(f, input))
        .unwrap_or_default()
}

/// The non-empty lines of a text field, at most [`MAX_ITEMS`].
fn lines(e: &mut Errors, input: &Input, field: &'static str, what: &'static str) -> Vec<String> {
    e.list(input, field, MAX_ITEMS, || {
        msg::refusal(&AreaRefusal::TooMany(what))
    })
}

/// Refuses what looks like a personal identity number in any text the form takes (the
/// number masked in the message): the register holds aggregate, area-level facts and
/// functions, never individuals or the offences they are suspected of (GDPR art. 10).
fn without_personal_numbers<T>(
    form: &FormPage,
    input: &Input,
    parsed: std::result::Result<T, Errors>,
) -> std::result::Result<T, Errors> {
    let found: Vec<(&'static str, String)> = form
        .fields
        .iter()
        .filter(|f| matches!(f.kind, FieldKind::Text | FieldKind::Textarea(_)))
        .filter_map(|f| Some((f.name, personal_number::find(input.get(f.name)?)?)))
        .collect();
    if found.is_empty() {
        return parsed;
    }
    let mut e = parsed.err().unwrap_or_default();
    for (field, masked) in found {
        e.add(
            field,
            msg::refusal(&AreaRefusal::PersonalNumber(field, masked)),
        );
    }
    Err(e)
}

/// The field of a form a refusal belongs at, where the refusal names it.
fn field_of(r: &AreaRefusal) -> Option<&'static str> {
    use AreaRefusal::*;
    Some(match r {
        Required(w) | TooLong(w) | TooMany(w) | BadDate(w) | PersonalNumber(w, _) => match *w {
            "organisation" | "role" => "members",
            "party" => "parties",
            "focus_area" | "activities" | "activity" | "activity_text" | "owner" | "frequency" => {
                "focus_areas"
            }
            "decision" => "council_decision",
            "source" | "as_of" | "classifications" | "definition" | "levels" | "presentations"
            | "meetings" | "evidence" | "assessments" => return None,
            w => w,
        },
        ParentCycle => "parent",
        LevelOutOfScale(..) | DuplicateLevel(_) => "unnamed_levels",
        BadScale => "max_level",
        PresentationTarget => "board",
        BadSfs(_) => "sfs",
        UnknownStatute(..) => "statutes",
        NoQualifyingEvidence(_) => "status",
        InFuture => "assessed_on",
        Duplicate(_) | EndBeforeStart => return None,
    })
}

/// A refusal of the area family becomes its Swedish message at the field it names, else at
/// `end` (an end before its start) or `main` (a duplicate, and what names no field); other
/// errors as [`RefusedAt`] places them.
fn area_at<T>(
    r: std::result::Result<T, StoreError>,
    main: &'static str,
    end: &'static str,
) -> std::result::Result<T, Refusal> {
    match r {
        Err(StoreError::Area(refusal)) => {
            let field = field_of(&refusal).unwrap_or(match refusal {
                AreaRefusal::EndBeforeStart => end,
                _ => main,
            });
            Err(Refusal::at(field, msg::refusal(&refusal)))
        }
        // A report in a year a decision locked: at its period.
        Err(locked @ StoreError::Locked(_)) => Err(locked).at(end),
        other => other.at(main),
    }
}

async fn boards(state: &AppState) -> Result<Vec<(String, String)>> {
    Ok(board_choices(&crate::audits::unit_names(state).await?))
}

async fn area_choices(state: &AppState) -> Result<Vec<(String, String)>> {
    Ok(state
        .store
        .areas()
        .await?
        .into_iter()
        .map(|a| (a.id.to_string(), a.name))
        .collect())
}

fn forum_label(f: &Forum) -> String {
    if f.code.trim().is_empty() {
        f.name.clone()
    } else {
        format!("{} {}", f.code, f.name)
    }
}

async fn forum_choices(state: &AppState, except: Option<Id>) -> Result<Vec<(String, String)>> {
    Ok(state
        .store
        .forums()
        .await?
        .iter()
        .filter(|f| except != Some(f.id))
        .map(|f| (f.id.to_string(), forum_label(f)))
        .collect())
}

fn report_label(r: &SituationReport) -> String {
    format!("{} ({}–{})", r.title, r.period_start, r.period_end)
}

fn agreement_label(a: &Agreement) -> String {
    if a.code.trim().is_empty() {
        a.title.clone()
    } else {
        format!("{} {}", a.code, a.title)
    }
}

// ---- Objects kept by one form (created and edited alike) ----

/// An object of the register with one form for creating and editing it: its four routes
/// (`/{segment}/new`, `/{segment}/{id}/edit`, GET and POST) are the same generic handlers.
pub trait Kept: Sized + Send + Sync + 'static {
    /// The first segment of its pages' paths (`areas`): a save redirects to its page.
    const SEGMENT: &'static str;
    /// Where a refusal that names no field is shown (a duplicate: the name or code).
    const MAIN: &'static str;
    /// Where an end before its start is shown.
    const END: &'static str;
    fn id(&self) -> Id;
    fn load(state: &AppState, id: Id) -> impl Future<Output = Result<Self>> + Send;
    fn page(state: &AppState, kept: Option<&Self>)
        -> impl Future<Output = Result<FormPage>> + Send;
    /// The stored values, by field.
    fn values(&self) -> Vec<(&'static str, String)>;
    /// A new form's values.
    fn defaults() -> Vec<(&'static str, String)> {
        Vec::new()
    }
    /// The submitted form over `base` (the stored object when editing).
    fn parse(
        state: &AppState,
        form: &FormPage,
        input: &Input,
        base: Option<&Self>,
    ) -> impl Future<Output = Result<std::result::Result<Self, Errors>>> + Send;
    fn create(
        w: &mut Writer,
        kept: &Self,
    ) -> impl Future<Output = std::result::Result<Id, StoreError>> + Send;
    fn update(
        w: &mut Writer,
        kept: &Self,
    ) -> impl Future<Output = std::result::Result<(), StoreError>> + Send;
}

pub async fn new_form<K: Kept>(State(state): State<AppState>) -> Result<Response> {
    K::page(&state, None)
        .await?
        .with_values(K::defaults())
        .render_page()
}

pub async fn create<K: Kept>(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(input): Form,
) -> Result<Response> {
    let post = Post::new(&state, viewer, 0, input);
    let form = K::page(&state, None).await?;
    let parsed = K::parse(&state, &form, &post.input, None).await?;
    let parsed = without_personal_numbers(&form, &post.input, parsed);
    post.submit(
        async || K::page(&state, None).await,
        parsed,
        async |w, k| {
            let id = area_at(K::create(w, &k).await, K::MAIN, K::END)?;
            Ok(format!("/{}/{id}", K::SEGMENT))
        },
    )
    .await
}

pub async fn edit_form<K: Kept>(
    State(state): State<AppState>,
    Path(id): Path<Id>,
) -> Result<Response> {
    let k = K::load(&state, id).await?;
    K::page(&state, Some(&k))
        .await?
        .with_values(k.values())
        .render_page()
}

pub async fn update<K: Kept>(post: Post) -> Result<Response> {
    let state = &post.state;
    let stored = K::load(state, post.id).await?;
    let form = K::page(state, Some(&stored)).await?;
    let parsed = K::parse(state, &form, &post.input, Some(&stored)).await?;
    let parsed = without_personal_numbers(&form, &post.input, parsed);
    post.submit(
        async || K::page(state, Some(&stored)).await,
        parsed,
        async |w, k| {
            area_at(K::update(w, &k).await, K::MAIN, K::END)?;
            Ok(format!("/{}/{}", K::SEGMENT, k.id()))
        },
    )
    .await
}

impl Kept for Area {
    const SEGMENT: &'static str = "areas";
    const MAIN: &'static str = "name";
    const END: &'static str = "name";
    fn id(&self) -> Id {
        self.id
    }
    async fn load(state: &AppState, id: Id) -> Result<Area> {
        Ok(state.store.area(id).await?)
    }
    async fn page(state: &AppState, kept: Option<&Area>) -> Result<FormPage> {
        area_page(state, kept).await
    }
    fn values(&self) -> Vec<(&'static str, String)> {
        area_values(self)
    }
    async fn parse(
        _: &AppState,
        form: &FormPage,
        input: &Input,
        base: Option<&Area>,
    ) -> Result<std::result::Result<Area, Errors>> {
        Ok(parse_area(form, input, base))
    }
    async fn create(w: &mut Writer, a: &Area) -> std::result::Result<Id, StoreError> {
        w.create_area(a).await
    }
    async fn update(w: &mut Writer, a: &Area) -> std::result::Result<(), StoreError> {
        w.update_area(a).await
    }
}

impl Kept for SituationReport {
    const SEGMENT: &'static str = "situation-reports";
    const MAIN: &'static str = "title";
    const END: &'static str = "period_end";
    fn id(&self) -> Id {
        self.id
    }
    async fn load(state: &AppState, id: Id) -> Result<SituationReport> {
        Ok(state.store.situation_report(id).await?)
    }
    async fn page(state: &AppState, kept: Option<&SituationReport>) -> Result<FormPage> {
        report_page(state, kept).await
    }
    fn values(&self) -> Vec<(&'static str, String)> {
        report_values(self)
    }
    fn defaults() -> Vec<(&'static str, String)> {
        vec![
            ("status", ReportStatus::InPreparation.code().to_string()),
            ("public", "no".to_string()),
            ("synthetic", "no".to_string()),
        ]
    }
    async fn parse(
        state: &AppState,
        form: &FormPage,
        input: &Input,
        base: Option<&SituationReport>,
    ) -> Result<std::result::Result<SituationReport, Errors>> {
        parse_report(state, form, input, base).await
    }
    async fn create(w: &mut Writer, r: &SituationReport) -> std::result::Result<Id, StoreError> {
        w.create_situation_report(r).await
    }
    async fn update(w: &mut Writer, r: &SituationReport) -> std::result::Result<(), StoreError> {
        w.update_situation_report(r).await
    }
}

impl Kept for Forum {
    const SEGMENT: &'static str = "forums";
    const MAIN: &'static str = "name";
    const END: &'static str = "evaluated_on";
    fn id(&self) -> Id {
        self.id
    }
    async fn load(state: &AppState, id: Id) -> Result<Forum> {
        Ok(state.store.forum(id).await?)
    }
    async fn page(state: &AppState, kept: Option<&Forum>) -> Result<FormPage> {
        forum_page(state, kept).await
    }
    fn values(&self) -> Vec<(&'static str, String)> {
        forum_values(self)
    }
    async fn parse(
        _: &AppState,
        form: &FormPage,
        input: &Input,
        base: Option<&Forum>,
    ) -> Result<std::result::Result<Forum, Errors>> {
        Ok(parse_forum(form, input, base))
    }
    async fn create(w: &mut Writer, f: &Forum) -> std::result::Result<Id, StoreError> {
        w.create_forum(f).await
    }
    async fn update(w: &mut Writer, f: &Forum) -> std::result::Result<(), StoreError> {
        w.update_forum(f).await
    }
}

impl Kept for Agreement {
    const SEGMENT: &'static str = "agreements";
    const MAIN: &'static str = "code";
    const END: &'static str = "valid_to";
    fn id(&self) -> Id {
        self.id
    }
    async fn load(state: &AppState, id: Id) -> Result<Agreement> {
        Ok(state.store.agreement(id).await?)
    }
    async fn page(state: &AppState, kept: Option<&Agreement>) -> Result<FormPage> {
        agreement_page(state, kept).await
    }
    fn values(&self) -> Vec<(&'static str, String)> {
        agreement_values(self)
    }
    async fn parse(
        state: &AppState,
        form: &FormPage,
        input: &Input,
        base: Option<&Agreement>,
    ) -> Result<std::result::Result<Agreement, Errors>> {
        parse_agreement(state, form, input, base).await
    }
    async fn create(w: &mut Writer, a: &Agreement) -> std::result::Result<Id, StoreError> {
        w.create_agreement(a).await
    }
    async fn update(w: &mut Writer, a: &Agreement) -> std::result::Result<(), StoreError> {
        w.update_agreement(a).await
    }
}

impl Kept for Statute {
    const SEGMENT: &'static str = "statutes";
    const MAIN: &'static str = "sfs";
    const END: &'static str = "in_force";
    fn id(&self) -> Id {
        self.id
    }
    async fn load(state: &AppState, id: Id) -> Result<Statute> {
        Ok(state.store.statute(id).await?)
    }
    async fn page(state: &AppState, kept: Option<&Statute>) -> Result<FormPage> {
        statute_page(state, kept).await
    }
    fn values(&self) -> Vec<(&'static str, String)> {
        statute_values(self)
    }
    async fn parse(
        _: &AppState,
        form: &FormPage,
        input: &Input,
        base: Option<&Statute>,
    ) -> Result<std::result::Result<Statute, Errors>> {
        Ok(parse_statute(form, input, base))
    }
    async fn create(w: &mut Writer, s: &Statute) -> std::result::Result<Id, StoreError> {
        w.create_statute(s).await
    }
    async fn update(w: &mut Writer, s: &Statute) -> std::result::Result<(), StoreError> {
        w.update_statute(s).await
    }
}

// ---- Areas ----

/// Empty classification rows offered below the stored ones.
const NEW_ROWS: usize = 3;

fn class_fields(rows: usize) -> Vec<Field> {
    let classes = coded(PoliceClass::ALL, PoliceClass::code, PoliceClass::label_sv);
    let mut out = Vec::new();
    for i in 0..rows {
        let n = i + 1;
        let mut class = Field::new(
            field_name("class", i),
            &format!("Klassning {n}"),
            with_empty("Ingen", classes.clone()),
        );
        if i == 0 {
            class = class.hint("Polisens klassning med år och källa, en per rad. Lämna året tomt om källan inte anger det. En tom rad sparas inte; töm en rad för att ta bort klassningen.");
        }
        out.push(class);
        out.push(Field::new(
            field_name("class_year", i),
            &format!("År (klassning {n})"),
            FieldKind::Integer,
        ));
        out.push(Field::new(
            field_name("class_source", i),
            &format!("Källa (klassning {n})"),
            FieldKind::Text,
        ));
        out.push(Field::new(
            field_name("class_as_of", i),
            &format!("Källans datum (klassning {n})"),
            FieldKind::Date,
        ));
    }
    out
}

async fn area_page(state: &AppState, area: Option<&Area>) -> Result<FormPage> {
    let areas = state.store.areas().await?;
    // Not itself nor one of its own sub-areas.
    let below = area
        .map(|a| area::descendants(&areas, a.id))
        .unwrap_or_default();
    let parents = areas
        .iter()
        .filter(|a| area.is_none_or(|x| x.id != a.id) && !below.contains(&a.id))
        .map(|a| (a.id.to_string(), a.name.clone()))
        .collect();
    let rows = area.map_or(0, |a| a.classifications.len()).min(MAX_ITEMS) + NEW_ROWS;
    let mut fields = vec![
        Field::new("name", "Namn", FieldKind::Text)
            .required()
            .hint("Som utfallens uppdelning per område skriver det, t.ex. Vårby."),
        Field::new(
            "kind",
            "Slag av område",
            with_empty(
                "Ej angivet",
                coded(AreaKind::ALL, AreaKind::code, AreaKind::label_sv),
            ),
        ),
        Field::new(
            "parent",
            "Ligger i området",
            with_empty("Inget (ligger inte i ett annat område)", parents),
        ),
        Field::new("note", "Anteckning", FieldKind::Textarea(3)).hint(
            "Vad områdets gränser eller historia betyder för dess serier, t.ex. att ett tidigare administrativt område motsvarar en nuvarande kommundel.",
        ),
    ];
    fields.extend(class_fields(rows));
    Ok(match area {
        None => page(
            "Nytt område".into(),
            None,
            "/areas/new".into(),
            AREAS_LIST.to_string(),
            "Lägg till området",
            crate::areas::areas_crumbs().after_start(),
            fields,
        ),
        Some(a) => page(
            format!("Ändra {}", a.name),
            None,
            format!("/areas/{}/edit", a.id),
            format!("/areas/{}", a.id),
            "Spara",
            crate::areas::area_trail(a).after_start(),
            fields,
        ),
    })
}

fn area_values(a: &Area) -> Vec<(&'static str, String)> {
    let mut v = vec![
        ("name", a.name.clone()),
        (
            "kind",
            a.kind.map(|k| k.code().to_string()).unwrap_or_default(),
        ),
        ("parent", id_text(a.parent_id)),
        ("note", a.note.clone()),
    ];
    for (i, c) in a.classifications.iter().enumerate() {
        v.push((field_name("class", i), c.class.code().to_string()));
        v.push((
            field_name("class_year", i),
            c.year.map(|y| y.to_string()).unwrap_or_default(),
        ));
        v.push((field_name("class_source", i), c.source.clone()));
        v.push((
            field_name("class_as_of", i),
            c.as_of.clone().unwrap_or_default(),
        ));
    }
    v
}

fn parse_area(
    form: &FormPage,
    input: &Input,
    base: Option<&Area>,
) -> std::result::Result<Area, Errors> {
    let mut e = Errors::default();
    let name = e.text(input, "name", MAX_NAME_CHARS);
    let kind = optional_choice(&mut e, input, "kind", AreaKind::parse);
    let parent = select_id(&mut e, form, input, "parent");
    let note = e.optional_paragraphs(input, "note", MAX_TEXT_CHARS);
    let rows = form
        .fields
        .iter()
        .filter(|f| f.name.starts_with("class-"))
        .count();
    let mut classifications = Vec::new();
    for i in 0..rows {
        let names = [
            field_name("class", i),
            field_name("class_year", i),
            field_name("class_source", i),
            field_name("class_as_of", i),
        ];
        if names.iter().all(|f| Errors::is_blank(input, f)) {
            continue;
        }
        let class = e.choice(input, names[0], PoliceClass::parse);
        let year = e.optional_integer(input, names[1], 1900, 2200);
        let source = e.optional_text(input, names[2], MAX_NAME_CHARS);
        let as_of = date_or_none(&mut e, input, names[3]);
        if let (Some(class), Some(year), Some(as_of)) = (class, year, as_of) {
            classifications.push(Classification {
                year: year.map(|y| y as i32),
                class,
                source,
                as_of,
            });
        }
    }
    // Oldest first; a classification without a year first of all.
    classifications.sort_by_key(|c| c.year);
    match (name, kind, parent) {
        (Some(name), Some(kind), Some(parent_id)) if e.is_empty() => Ok(Area {
            id: base.map_or(0, |b| b.id),
            name,
            kind,
            parent_id,
            note,
            classifications,
        }),
        _ => Err(e),
    }
}

// ---- The level scale ----

/// The most levels a scale can have (`situation::validate_scale`).
const MAX_LEVELS: u8 = 10;

async fn scale_page(state: &AppState) -> Result<FormPage> {
    let mut fields = vec![
        Field::new("max_level", "Antal lägen", FieldKind::Integer)
            .required()
            .hint("Det högsta läget på kommunens skala (2–10). Läge 1 är det lägsta."),
        Field::new("threshold", "Tröskel", FieldKind::Integer)
            .required()
            .hint("Ett område på detta läge eller högre i en tertials- eller övergripande lägesbild ger en avvikelse hos nämnden nedan."),
        Field::new("present_within_days", "Redovisas inom (dagar)", FieldKind::Integer)
            .required()
            .hint("Så många dagar efter periodens slut ska en tertials- eller övergripande lägesbild ha redovisats för nämnden."),
        Field::new(
            "board",
            "Nämnd som lägesbilderna ska redovisas för",
            with_empty("Ingen vald (inga avvikelser tas fram)", boards(state).await?),
        )
        .hint("Kommunstyrelsen leder arbetet enligt lagen."),
    ];
    for n in 1..=MAX_LEVELS {
        let mut f = Field::new(
            field_name("definition", n),
            &format!("Läge {n}: vad det innebär"),
            FieldKind::Textarea(2),
        );
        if n == 1 {
            f = f.hint("Kommunens egen definition av varje läge. Lämna tomt där kommunen inte har angett någon: sidorna visar då att definitionen saknas. Lägen över skalans högsta läge lämnas tomma.");
        }
        fields.push(f);
    }
    Ok(page(
        "Skalan för lägesbildernas lägen".into(),
        None,
        "/situation-reports/scale".into(),
        REPORTS_LIST.to_string(),
        "Spara skalan",
        crate::safety::reports_crumbs().after_start(),
        fields,
    ))
}

fn scale_values(s: &LevelScale) -> Vec<(&'static str, String)> {
    let mut v = vec![
        ("max_level", s.max_level.to_string()),
        ("threshold", s.threshold.to_string()),
        ("present_within_days", s.present_within_days.to_string()),
        ("board", id_text(s.board_id)),
    ];
    for (n, d) in &s.definitions {
        if (1..=MAX_LEVELS).contains(n) {
            v.push((field_name("definition", n), d.clone()));
        }
    }
    v
}

fn parse_scale(form: &FormPage, input: &Input) -> std::result::Result<LevelScale, Errors> {
    let mut e = Errors::default();
    let max_level = e.integer(input, "max_level", 2, i64::from(MAX_LEVELS));
    let threshold = e.integer(input, "threshold", 1, i64::from(MAX_LEVELS));
    let days = e.integer(input, "present_within_days", 0, 3650);
    let board = select_id(&mut e, form, input, "board");
    let mut definitions = BTreeMap::new();
    for n in 1..=MAX_LEVELS {
        let field = field_name("definition", n);
        let text = e.optional_paragraphs(input, field, MAX_TEXT_CHARS);
        if text.is_empty() {
            continue;
        }
        if max_level.is_some_and(|m| i64::from(n) > m) {
            e.add(field, msg::refusal(&AreaRefusal::BadScale));
        }
        definitions.insert(n, text);
    }
    if let (Some(m), Some(t)) = (max_level, threshold) {
        if t > m {
            e.add("threshold", msg::refusal(&AreaRefusal::BadScale));
        }
    }
    match (max_level, threshold, days, board) {
        (Some(m), Some(t), Some(d), Some(board_id)) if e.is_empty() => Ok(LevelScale {
            max_level: m as u8,
            definitions,
            threshold: t as u8,
            present_within_days: d as u32,
            board_id,
        }),
        _ => Err(e),
    }
}

pub async fn scale_form(State(state): State<AppState>) -> Result<Response> {
    let scale = state.store.level_scale().await?;
    scale_page(&state)
        .await?
        .with_values(scale_values(&scale))
        .render_page()
}

pub async fn save_scale(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(input): Form,
) -> Result<Response> {
    let post = Post::new(&state, viewer, 0, input);
    let form = scale_page(&state).await?;
    let parsed = without_personal_numbers(&form, &post.input, parse_scale(&form, &post.input));
    post.submit(
        async || scale_page(&state).await,
        parsed,
        async |w, scale| {
            area_at(w.set_level_scale(&scale).await, "max_level", "max_level")?;
            Ok(REPORTS_LIST.to_string())
        },
    )
    .await
}

// ---- Situation reports ----

async fn report_page(state: &AppState, report: Option<&SituationReport>) -> Result<FormPage> {
    let areas = state.store.areas().await?;
    let scale = state.store.level_scale().await?;
    let mut fields = vec![
        Field::new(
            "kind",
            "Slag av lägesbild",
            FieldKind::Radios(coded(
                SituationKind::ALL,
                SituationKind::code,
                SituationKind::label_sv,
            )),
        )
        .required(),
        Field::new("title", "Rubrik", FieldKind::Text).required(),
        Field::new("period_start", "Periodens början", FieldKind::Date).required(),
        Field::new("period_end", "Periodens slut", FieldKind::Date).required(),
        Field::new("producer", "Framtagen av", FieldKind::Text).hint("T.ex. OSG."),
        Field::new(
            "producer_forum",
            "Forum som tog fram den",
            with_empty("Inget registrerat forum", forum_choices(state, None).await?),
        ),
        Field::new(
            "status",
            "Status",
            FieldKind::Radios(coded(
                ReportStatus::ALL,
                ReportStatus::code,
                ReportStatus::label_sv,
            )),
        )
        .required(),
    ];
    for (i, a) in areas.iter().enumerate() {
        let mut f = Field::new(
            field_name("level", a.id),
            &format!("Läge i {}", a.name),
            FieldKind::Integer,
        );
        if i == 0 {
            f = f.hint(&format!(
                "Läge 1–{} per område. Lämna tomt för de områden som lägesbilden inte anger.",
                scale.max_level
            ));
        }
        fields.push(f);
    }
    fields.extend([
        Field::new("unnamed_levels", "Lägen utan namngivet område", FieldKind::Text).hint(
            "Lägen som källan anger utan att säga för vilket område, t.ex. 3, 3. De visas som onamngivna och knyts aldrig till ett område.",
        ),
        Field::new(
            "checklist",
            "Innehåll som lagen kräver av lägesbilden (Lag 2023:196)",
            FieldKind::Checkboxes(coded(
                ChecklistItem::ALL,
                ChecklistItem::code,
                ChecklistItem::label_sv,
            )),
        ),
        Field::new("summary", "Sammanfattning", FieldKind::Textarea(6)).hint(
            "En sammanställning per område: händelser och orsaksanalys. Skriv inga personnummer, namn eller andra uppgifter om enskilda personer eller brott de misstänks för (dataskyddsförordningen art. 10).",
        ),
        Field::new(
            "public",
            "Får lägena visas för allmänheten?",
            FieldKind::Radios(yes_no()),
        )
        .required(),
        Field::new(
            "synthetic",
            "Genererade data, inte från en källa?",
            FieldKind::Radios(yes_no()),
        )
        .required()
        .hint("Genererade lägesbilder märks så på varje sida."),
    ]);
    Ok(match report {
        None => page(
            "Ny lägesbild".into(),
            Some("Vilka lägesbilden redovisades för läggs till på lägesbildens sida.".into()),
            "/situation-reports/new".into(),
            REPORTS_LIST.to_string(),
            "Lägg till lägesbilden",
            crate::safety::reports_crumbs().after_start(),
            fields,
        ),
        Some(r) => page(
            format!("Ändra {}", r.title),
            None,
            format!("/situation-reports/{}/edit", r.id),
            format!("/situation-reports/{}", r.id),
            "Spara",
            crate::safety::report_trail(r).after_start(),
            fields,
        ),
    })
}

fn report_values(r: &SituationReport) -> Vec<(&'static str, String)> {
    let mut v = vec![
        ("kind", r.kind.code().to_string()),
        ("title", r.title.clone()),
        ("period_start", r.period_start.clone()),
        ("period_end", r.period_end.clone()),
        ("producer", r.producer.clone()),
        ("producer_forum", id_text(r.producer_forum_id)),
        ("status", r.status.code().to_string()),
        (
            "unnamed_levels",
            r.unnamed_levels
                .iter()
                .map(u8::to_string)
                .collect::<Vec<_>>()
                .join(", "),
        ),
        (
            "checklist",
            r.checklist
                .iter()
                .map(|c| c.code())
                .collect::<Vec<_>>()
                .join(","),
        ),
        ("summary", r.summary.clone()),
        ("public", yes_text(r.public)),
        ("synthetic", yes_text(r.synthetic)),
    ];
    for l in &r.levels {
        v.push((field_name("level", l.area_id), l.level.to_string()));
    }
    v
}

/// A level on the scale from its text, or the Swedish refusal.
fn scale_level(text: &str, max: u8) -> std::result::Result<u8, String> {
    match text.trim().parse::<i64>() {
        Ok(v) if (1..=i64::from(max)).contains(&v) => Ok(v as u8),
        Ok(v) => Err(msg::refusal(&AreaRefusal::LevelOutOfScale(v, max))),
        Err(_) => Err(messages::integer_range(text.trim(), 1, i64::from(max))),
    }
}

/// A level on the scale: `Some(None)` when left empty.
fn level(e: &mut Errors, input: &Input, field: &'static str, max: u8) -> Option<Option<u8>> {
    let text = e.optional_text(input, field, super::TYPED_MAX);
    if text.is_empty() {
        return Some(None);
    }
    scale_level(&text, max)
        .map(Some)
        .map_err(|m| e.add(field, m))
        .ok()
}

/// "3, 3" (commas, semicolons or spaces between).
fn unnamed_levels(e: &mut Errors, input: &Input, max: u8) -> Vec<u8> {
    let field = "unnamed_levels";
    let text = e.optional_text(input, field, MAX_NAME_CHARS);
    let levels: std::result::Result<Vec<u8>, String> = text
        .split([',', ';', ' ', '\u{a0}'])
        .filter(|p| !p.is_empty())
        .map(|p| scale_level(p, max))
        .collect();
    levels.map_err(|m| e.add(field, m)).unwrap_or_default()
}

async fn parse_report(
    state: &AppState,
    form: &FormPage,
    input: &Input,
    base: Option<&SituationReport>,
) -> Result<std::result::Result<SituationReport, Errors>> {
    let areas = state.store.areas().await?;
    let scale = state.store.level_scale().await?;
    let mut e = Errors::default();
    let kind = e.choice(input, "kind", SituationKind::parse);
    let title = e.text(input, "title", MAX_NAME_CHARS);
    let period_start = e.date(input, "period_start");
    let period_end = e.date(input, "period_end");
    let producer = e.optional_text(input, "producer", MAX_NAME_CHARS);
    let producer_forum = select_id(&mut e, form, input, "producer_forum");
    let status = e.choice(input, "status", ReportStatus::parse);
    let mut levels = Vec::new();
    for a in &areas {
        let field = field_name("level", a.id);
        if let Some(Some(l)) = level(&mut e, input, field, scale.max_level) {
            levels.push(AreaLevel {
                area_id: a.id,
                level: l,
            });
        }
    }
    let unnamed = unnamed_levels(&mut e, input, scale.max_level);
    let checklist: BTreeSet<ChecklistItem> = checked(form, input, "checklist")
        .iter()
        .filter_map(|c| ChecklistItem::parse(c))
        .collect();
    let summary = e.optional_paragraphs(input, "summary", MAX_TEXT_CHARS);
    Ok(
        match (
            kind,
            title,
            period_start,
            period_end,
            producer_forum,
            status,
        ) {
            (Some(kind), Some(title), Some(start), Some(end), Some(forum), Some(status))
                if e.is_empty() =>
            {
                Ok(SituationReport {
                    id: base.map_or(0, |b| b.id),
                    kind,
                    title,
                    period_start: start,
                    period_end: end,
                    producer,
                    producer_forum_id: forum,
                    status,
                    levels,
                    unnamed_levels: unnamed,
                    checklist,
                    summary,
                    public: yes(input, "public"),
                    synthetic: yes(input, "synthetic"),
                    // Presentations are added one by one on their own form.
                    presentations: base.map(|b| b.presentations.clone()).unwrap_or_default(),
                })
            }
            _ => Err(e),
        },
    )
}

// ---- A report's presentations ----

async fn presentation_page(state: &AppState, r: &SituationReport) -> Result<FormPage> {
    Ok(page(
        format!("Redovisning av {}", r.title),
        Some("Välj antingen den nämnd eller det forum som lägesbilden redovisades för.".into()),
        format!("/situation-reports/{}/presentations/new", r.id),
        format!("/situation-reports/{}", r.id),
        "Lägg till redovisningen",
        crate::safety::report_trail(r).after_start(),
        vec![
            Field::new(
                "board",
                "Nämnd",
                with_empty("Ingen nämnd", boards(state).await?),
            ),
            Field::new(
                "forum",
                "Forum",
                with_empty("Inget forum", forum_choices(state, None).await?),
            ),
            Field::new("date", "Datum", FieldKind::Date).required(),
            Field::new("reference", "Paragraf eller protokoll", FieldKind::Text)
                .hint("T.ex. § 12. Lämna tomt om källan inte anger något."),
        ],
    ))
}

fn parse_presentation(form: &FormPage, input: &Input) -> std::result::Result<Presentation, Errors> {
    let mut e = Errors::default();
    let unit = select_id(&mut e, form, input, "board");
    let forum = select_id(&mut e, form, input, "forum");
    let date = e.date(input, "date");
    let reference = e.optional_text(input, "reference", MAX_NAME_CHARS);
    match (unit, forum, date) {
        (Some(unit_id), Some(forum_id), Some(date)) if e.is_empty() => Ok(Presentation {
            unit_id,
            forum_id,
            date,
            reference,
        }),
        _ => Err(e),
    }
}

pub async fn presentation_form(
    State(state): State<AppState>,
    Path(id): Path<Id>,
) -> Result<Response> {
    let r = state.store.situation_report(id).await?;
    presentation_page(&state, &r).await?.render_page()
}

pub async fn add_presentation(post: Post) -> Result<Response> {
    let state = &post.state;
    let r = state.store.situation_report(post.id).await?;
    let form = presentation_page(state, &r).await?;
    let parsed =
        without_personal_numbers(&form, &post.input, parse_presentation(&form, &post.input));
    post.submit(
        async || presentation_page(state, &r).await,
        parsed,
        async |w, p| {
            area_at(w.add_presentation(r.id, &p).await, "board", "date")?;
            Ok(format!("/situation-reports/{}", r.id))
        },
    )
    .await
}

// ---- Forums ----

fn council_options() -> Vec<(String, String)> {
    vec![
        ("led".into(), "Leds av kommunen".into()),
        (
            "partners".into(),
            "Parterna deltar med personer i ledande befattning".into(),
        ),
        ("remit".into(), "Har ett strategiskt uppdrag".into()),
    ]
}

async fn forum_page(state: &AppState, forum: Option<&Forum>) -> Result<FormPage> {
    let fields = vec![
        Field::new("code", "Kod", FieldKind::Text).hint("Registrets kod, t.ex. F03."),
        Field::new("name", "Namn", FieldKind::Text).required(),
        Field::new("purpose", "Syfte", FieldKind::Textarea(3))
            .hint("Lämna tomt om syftet inte är dokumenterat: registret visar då att det saknas."),
        Field::new("chair", "Ordförande", FieldKind::Text)
            .hint("En funktion, inte en person, t.ex. Kommundirektör."),
        Field::new("members", "Medlemmar", FieldKind::Textarea(6)).hint(
            "En medlem per rad: organisation; roll, t.ex. ”Huddinge kommun; Socialdirektör”. Ange funktioner, inte namn.",
        ),
        Field::new("cadence", "Mötesfrekvens", FieldKind::Text)
            .hint("T.ex. varje vecka eller två gånger i månaden. Lämna tomt om den inte är känd."),
        Field::new(
            "reports_to_unit",
            "Rapporterar till nämnd",
            with_empty("Ingen nämnd", boards(state).await?),
        ),
        Field::new(
            "reports_to_forum",
            "Rapporterar till forum",
            with_empty(
                "Inget forum",
                forum_choices(state, forum.map(|f| f.id)).await?,
            ),
        ),
        Field::new("reports_what", "Vad forumet rapporterar", FieldKind::Textarea(2)),
        Field::new(
            "documented",
            "Är syfte och roll dokumenterade?",
            FieldKind::Radios(coded(Documented::ALL, Documented::code, Documented::label_sv)),
        )
        .required(),
        Field::new("evaluated_on", "Senast utvärderat", FieldKind::Date)
            .hint("Lämna tomt om forumet aldrig har utvärderats."),
        Field::new("evaluation", "Vad utvärderingen kom fram till", FieldKind::Textarea(3)),
        Field::new(
            "areas",
            "Områden forumet arbetar i",
            FieldKind::Checkboxes(area_choices(state).await?),
        )
        .hint("Markera inget för ett forum som arbetar i hela kommunen."),
        Field::new(
            "council_decision",
            "Utsett till strategiskt råd (Lag 2023:196) genom beslut",
            FieldKind::Text,
        )
        .hint("Beslutande organ, datum och paragraf, t.ex. KS 2025-03-10 § 12. Lämna tomt om forumet inte är utsett."),
        Field::new(
            "council",
            "Rådets egenskaper enligt lagen",
            FieldKind::Checkboxes(council_options()),
        ),
        Field::new("note", "Anteckning", FieldKind::Textarea(3)),
    ];
    Ok(match forum {
        None => page(
            "Nytt forum".into(),
            Some("Mötena läggs till på forumets sida.".into()),
            "/forums/new".into(),
            HUB_LIST.to_string(),
            "Lägg till forumet",
            crate::safety::hub_crumbs().after_start(),
            fields,
        ),
        Some(f) => page(
            format!("Ändra {}", f.name),
            None,
            format!("/forums/{}/edit", f.id),
            format!("/forums/{}", f.id),
            "Spara",
            crate::safety::forum_trail(f).after_start(),
            fields,
        ),
    })
}

fn forum_values(f: &Forum) -> Vec<(&'static str, String)> {
    let council = f.council.as_ref();
    let flags = council
        .map(|c| {
            [
                (c.led_by_municipality, "led"),
                (c.partners_in_leading_positions, "partners"),
                (c.strategic_remit, "remit"),
            ]
            .iter()
            .filter(|(on, _)| *on)
            .map(|(_, v)| *v)
            .collect::<Vec<_>>()
            .join(",")
        })
        .unwrap_or_default();
    vec![
        ("code", f.code.clone()),
        ("name", f.name.clone()),
        ("purpose", f.purpose.clone()),
        ("chair", f.chair.clone()),
        (
            "members",
            f.members
                .iter()
                .map(|m| {
                    if m.role.is_empty() {
                        m.organisation.clone()
                    } else {
                        format!("{}; {}", m.organisation, m.role)
                    }
                })
                .collect::<Vec<_>>()
                .join("\n"),
        ),
        ("cadence", f.cadence.clone()),
        ("reports_to_unit", id_text(f.reports_to_unit)),
        ("reports_to_forum", id_text(f.reports_to_forum)),
        ("reports_what", f.reports_what.clone()),
        ("documented", f.documented.code().to_string()),
        ("evaluated_on", f.evaluated_on.clone().unwrap_or_default()),
        ("evaluation", f.evaluation.clone()),
        (
            "areas",
            f.area_ids
                .iter()
                .map(Id::to_string)
                .collect::<Vec<_>>()
                .join(","),
        ),
        (
            "council_decision",
            council.map(|c| c.decision.clone()).unwrap_or_default(),
        ),
        ("council", flags),
        ("note", f.note.clone()),
    ]
}

fn parse_forum(
    form: &FormPage,
    input: &Input,
    base: Option<&Forum>,
) -> std::result::Result<Forum, Errors> {
    let mut e = Errors::default();
    let code = e.optional_text(input, "code", MAX_NAME_CHARS);
    let name = e.text(input, "name", MAX_NAME_CHARS);
    let purpose = e.optional_paragraphs(input, "purpose", MAX_TEXT_CHARS);
    let chair = e.optional_text(input, "chair", MAX_NAME_CHARS);
    let members = lines(&mut e, input, "members", "members")
        .into_iter()
        .map(|l| match l.split_once(';') {
            Some((org, role)) => Member {
                organisation: org.trim().to_string(),
                role: role.trim().to_string(),
            },
            None => Member {
                organisation: l,
                role: String::new(),
            },
        })
        .collect();
    let cadence = e.optional_text(input, "cadence", MAX_NAME_CHARS);
    let unit = select_id(&mut e, form, input, "reports_to_unit");
    let to_forum = select_id(&mut e, form, input, "reports_to_forum");
    let reports_what = e.optional_paragraphs(input, "reports_what", MAX_TEXT_CHARS);
    let documented = e.choice(input, "documented", Documented::parse);
    let evaluated_on = date_or_none(&mut e, input, "evaluated_on");
    let evaluation = e.optional_paragraphs(input, "evaluation", MAX_TEXT_CHARS);
    let area_ids = checked_ids(form, input, "areas");
    let decision = e.optional_text(input, "council_decision", MAX_NAME_CHARS);
    let flags = checked(form, input, "council");
    let council = (!decision.is_empty() || !flags.is_empty()).then(|| Council {
        decision,
        led_by_municipality: flags.iter().any(|f| f == "led"),
        partners_in_leading_positions: flags.iter().any(|f| f == "partners"),
        strategic_remit: flags.iter().any(|f| f == "remit"),
    });
    let note = e.optional_paragraphs(input, "note", MAX_TEXT_CHARS);
    match (name, unit, to_forum, documented, evaluated_on) {
        (Some(name), Some(unit), Some(to_forum), Some(documented), Some(evaluated_on))
            if e.is_empty() =>
        {
            Ok(Forum {
                id: base.map_or(0, |b| b.id),
                code,
                name,
                purpose,
                chair,
                members,
                cadence,
                reports_to_unit: unit,
                reports_to_forum: to_forum,
                reports_what,
                documented,
                evaluated_on,
                evaluation,
                area_ids,
                council,
                // Meetings are added one by one on their own form.
                meetings: base.map(|b| b.meetings.clone()).unwrap_or_default(),
                note,
            })
        }
        _ => Err(e),
    }
}

// ---- A forum's meetings ----

fn meeting_page(f: &Forum) -> FormPage {
    page(
        format!("Nytt möte i {}", f.name),
        None,
        format!("/forums/{}/meetings/new", f.id),
        format!("/forums/{}", f.id),
        "Lägg till mötet",
        crate::safety::forum_trail(f).after_start(),
        vec![
            Field::new("date", "Datum", FieldKind::Date).required(),
            Field::new("reference", "Protokoll eller paragraf", FieldKind::Text)
                .hint("Lämna tomt om inget protokoll finns."),
            Field::new("note", "Anteckning", FieldKind::Textarea(3)),
        ],
    )
}

fn parse_meeting(input: &Input) -> std::result::Result<Meeting, Errors> {
    let mut e = Errors::default();
    let date = e.date(input, "date");
    let reference = e.optional_text(input, "reference", MAX_NAME_CHARS);
    let note = e.optional_paragraphs(input, "note", MAX_TEXT_CHARS);
    match date {
        Some(date) if e.is_empty() => Ok(Meeting {
            date,
            reference,
            note,
        }),
        _ => Err(e),
    }
}

pub async fn meeting_form(State(state): State<AppState>, Path(id): Path<Id>) -> Result<Response> {
    meeting_page(&state.store.forum(id).await?).render_page()
}

pub async fn add_meeting(post: Post) -> Result<Response> {
    let f = post.state.store.forum(post.id).await?;
    let parsed =
        without_personal_numbers(&meeting_page(&f), &post.input, parse_meeting(&post.input));
    post.submit(
        async || Ok(meeting_page(&f)),
        parsed,
        async |w, m| {
            area_at(w.add_meeting(f.id, &m).await, "date", "date")?;
            Ok(format!("/forums/{}", f.id))
        },
    )
    .await
}

// ---- Agreements ----

/// A party's kind from its code or Swedish name ("polis", "Polisen", "kommunalt bolag"),
/// or the start of the name ("kriminalvård").
fn party_kind(text: &str) -> Option<PartyKind> {
    let t = text.trim().to_lowercase();
    let exact = PartyKind::ALL.iter().copied().find(|k| {
        t == k.code() || t == k.code().replace('_', " ") || t == k.label_sv().to_lowercase()
    });
    exact.or_else(|| {
        (t.chars().count() >= 4)
            .then(|| {
                PartyKind::ALL
                    .iter()
                    .copied()
                    .find(|k| k.label_sv().to_lowercase().starts_with(&t))
            })
            .flatten()
    })
}

/// "ja"/"nej", optionally after "plan".
fn plan_answer(text: &str) -> Option<bool> {
    let t = text.trim().to_lowercase();
    match t.strip_prefix("plan").map(str::trim).unwrap_or(&t) {
        "ja" => Some(true),
        "nej" => Some(false),
        _ => None,
    }
}

async fn agreement_page(state: &AppState, agreement: Option<&Agreement>) -> Result<FormPage> {
    let reports: Vec<(String, String)> = state
        .store
        .situation_reports(None, None)
        .await?
        .iter()
        .map(|r| (r.id.to_string(), report_label(r)))
        .collect();
    let fields = vec![
        Field::new("code", "Kod", FieldKind::Text).hint("Registrets kod, t.ex. AG-2023-24."),
        Field::new(
            "kind",
            "Slag",
            FieldKind::Radios(coded(
                AgreementKind::ALL,
                AgreementKind::code,
                AgreementKind::label_sv,
            )),
        )
        .required(),
        Field::new("title", "Rubrik", FieldKind::Text).required(),
        Field::new("parties", "Parter", FieldKind::Textarea(6)).hint(&format!(
            "En part per rad: namn; slag, t.ex. ”Lokalpolisområde Huddinge; polisen”. Slaget är {PARTY_KIND_HINT}."
        )),
        Field::new("valid_from", "Giltig från", FieldKind::Date),
        Field::new("valid_to", "Giltig till", FieldKind::Date),
        Field::new("purpose", "Syfte", FieldKind::Textarea(3)),
        Field::new("focus_areas", "Fokusområden", FieldKind::Textarea(4)).hint(
            "Ett fokusområde per rad: namn; ja eller nej för om det har en aktivitetsplan, t.ex. ”Gängkriminalitet; nej”. Aktiviteterna läggs in genom import och behålls när du ändrar här; tar du bort ett fokusområde tas dess aktiviteter bort.",
        ),
        Field::new(
            "governing_forum",
            "Styrs av forum",
            with_empty("Inget forum", forum_choices(state, None).await?),
        ),
        Field::new(
            "situation_report",
            "Bygger på lägesbilden",
            with_empty("Ingen angiven", reports),
        ),
        Field::new("statutes", "Lagar den hänvisar till", FieldKind::Text).hint(
            "SFS-nummer, t.ex. 2023:196; flera skiljs med kommatecken. Lagen måste finnas i registret över lagkrav.",
        ),
        Field::new(
            "areas",
            "Områden",
            FieldKind::Checkboxes(area_choices(state).await?),
        )
        .hint("Markera inget för en överenskommelse som gäller hela kommunen."),
        Field::new("note", "Anteckning", FieldKind::Textarea(3)),
    ];
    let intro = "Aktiviteterna i fokusområdenas aktivitetsplaner (problem, mål, ansvarig, frekvens, uppföljning och effektindikator) läggs in genom import och visas på överenskommelsens sida.".to_string();
    Ok(match agreement {
        None => page(
            "Ny överenskommelse".into(),
            Some(intro),
            "/agreements/new".into(),
            HUB_LIST.to_string(),
            "Lägg till överenskommelsen",
            crate::safety::hub_crumbs().after_start(),
            fields,
        ),
        Some(a) => page(
            format!("Ändra {}", agreement_label(a)),
            Some(intro),
            format!("/agreements/{}/edit", a.id),
            format!("/agreements/{}", a.id),
            "Spara",
            crate::safety::agreement_trail(a).after_start(),
            fields,
        ),
    })
}

fn agreement_values(a: &Agreement) -> Vec<(&'static str, String)> {
    let join = |v: Vec<String>, sep: &str| v.join(sep);
    vec![
        ("code", a.code.clone()),
        ("kind", a.kind.code().to_string()),
        ("title", a.title.clone()),
        (
            "parties",
            join(
                a.parties
                    .iter()
                    .map(|p| format!("{}; {}", p.name, p.kind.label_sv().to_lowercase()))
                    .collect(),
                "\n",
            ),
        ),
        ("valid_from", a.valid_from.clone().unwrap_or_default()),
        ("valid_to", a.valid_to.clone().unwrap_or_default()),
        ("purpose", a.purpose.clone()),
        (
            "focus_areas",
            join(
                a.focus_areas
                    .iter()
                    .map(|f| format!("{}; {}", f.name, if f.has_plan { "ja" } else { "nej" }))
                    .collect(),
                "\n",
            ),
        ),
        ("governing_forum", id_text(a.governing_forum_id)),
        ("situation_report", id_text(a.situation_report_id)),
        ("statutes", a.statutes.join(", ")),
        (
            "areas",
            join(a.area_ids.iter().map(Id::to_string).collect(), ","),
        ),
        ("note", a.note.clone()),
    ]
}

async fn parse_agreement(
    state: &AppState,
    form: &FormPage,
    input: &Input,
    base: Option<&Agreement>,
) -> Result<std::result::Result<Agreement, Errors>> {
    let known: Vec<String> = state
        .store
        .statutes()
        .await?
        .into_iter()
        .map(|s| s.sfs)
        .collect();
    let mut e = Errors::default();
    let code = e.optional_text(input, "code", MAX_NAME_CHARS);
    let kind = e.choice(input, "kind", AgreementKind::parse);
    let title = e.text(input, "title", MAX_NAME_CHARS);
    let mut parties = Vec::new();
    for l in lines(&mut e, input, "parties", "parties") {
        let kind = l
            .rsplit_once(';')
            .and_then(|(name, k)| Some((name, party_kind(k)?)));
        match kind {
            Some((name, kind)) => parties.push(Party {
                name: name.trim().to_string(),
                kind,
            }),
            None => e.add(
                "parties",
                format!(
                    "”{}”: skriv partens slag efter ett semikolon, ett av {PARTY_KIND_HINT}.",
                    uppsikt_domain::text::shown(&l, 80)
                ),
            ),
        }
    }
    let valid_from = date_or_none(&mut e, input, "valid_from");
    let valid_to = date_or_none(&mut e, input, "valid_to");
    let purpose = e.optional_paragraphs(input, "purpose", MAX_TEXT_CHARS);
    let mut focus_areas = Vec::new();
    for l in lines(&mut e, input, "focus_areas", "focus_areas") {
        match l
            .rsplit_once(';')
            .and_then(|(name, plan)| Some((name.trim(), plan_answer(plan)?)))
        {
            Some((name, has_plan)) => {
                // The activities (from import) stay with a focus area of the same name.
                let kept = base.and_then(|b| {
                    b.focus_areas
                        .iter()
                        .find(|f| f.name.trim().to_lowercase() == name.to_lowercase())
                });
                focus_areas.push(FocusArea {
                    id: kept.map_or(0, |f| f.id),
                    name: name.to_string(),
                    has_plan,
                    activities: kept.map(|f| f.activities.clone()).unwrap_or_default(),
                });
            }
            None => e.add(
                "focus_areas",
                format!("”{}”: skriv ja eller nej efter ett semikolon (om fokusområdet har en aktivitetsplan).", uppsikt_domain::text::shown(&l, 80)),
            ),
        }
    }
    let forum = select_id(&mut e, form, input, "governing_forum");
    let report = select_id(&mut e, form, input, "situation_report");
    let sfs_text = e.optional_text(input, "statutes", MAX_NAME_CHARS);
    let mut statutes: Vec<String> = Vec::new();
    for sfs in sfs_text
        .split([',', ';', ' ', '\u{a0}'])
        .filter(|s| !s.is_empty())
    {
        match obligation::known_statute(sfs, &known) {
            Ok(()) if !statutes.iter().any(|s| s == sfs) => statutes.push(sfs.to_string()),
            Ok(()) => {}
            Err(r) => e.add("statutes", msg::refusal(&r)),
        }
    }
    let area_ids = checked_ids(form, input, "areas");
    let note = e.optional_paragraphs(input, "note", MAX_TEXT_CHARS);
    Ok(match (kind, title, valid_from, valid_to, forum, report) {
        (Some(kind), Some(title), Some(valid_from), Some(valid_to), Some(forum), Some(report))
            if e.is_empty() =>
        {
            Ok(Agreement {
                id: base.map_or(0, |b| b.id),
                code,
                kind,
                title,
                parties,
                valid_from,
                valid_to,
                purpose,
                focus_areas,
                governing_forum_id: forum,
                situation_report_id: report,
                statutes,
                area_ids,
                note,
            })
        }
        _ => Err(e),
    })
}

// ---- Statutes ----

fn statute_label(s: &Statute) -> String {
    format!("Lag ({})", s.sfs)
}

async fn statute_page(state: &AppState, statute: Option<&Statute>) -> Result<FormPage> {
    let fields = vec![
        Field::new("sfs", "SFS-nummer", FieldKind::Text)
            .required()
            .hint("År:löpnummer, t.ex. 2023:196."),
        Field::new("title", "Rubrik", FieldKind::Text)
            .required()
            .hint("T.ex. Lag om kommuners ansvar för brottsförebyggande arbete."),
        Field::new("in_force", "Trädde i kraft", FieldKind::Date),
        Field::new(
            "leading",
            "Nämnd som leder arbetet",
            with_empty("Ingen angiven", boards(state).await?),
        ),
        Field::new("url", "Länk till lagtexten", FieldKind::Text)
            .hint("T.ex. https://lagen.nu/2023:196."),
        Field::new("note", "Anteckning", FieldKind::Textarea(3)),
    ];
    Ok(match statute {
        None => page(
            "Ny lag i registret".into(),
            Some("Lagens skyldigheter läggs till på lagens sida.".into()),
            "/statutes/new".into(),
            HUB_LIST.to_string(),
            "Lägg till lagen",
            crate::safety::hub_crumbs().after_start(),
            fields,
        ),
        Some(s) => page(
            format!("Ändra {}", statute_label(s)),
            None,
            format!("/statutes/{}/edit", s.id),
            format!("/statutes/{}", s.id),
            "Spara",
            crate::safety::statute_trail(s).after_start(),
            fields,
        ),
    })
}

fn statute_values(s: &Statute) -> Vec<(&'static str, String)> {
    vec![
        ("sfs", s.sfs.clone()),
        ("title", s.title.clone()),
        ("in_force", s.in_force.clone().unwrap_or_default()),
        ("leading", id_text(s.leading_unit_id)),
        ("url", s.url.clone()),
        ("note", s.note.clone()),
    ]
}

fn parse_statute(
    form: &FormPage,
    input: &Input,
    base: Option<&Statute>,
) -> std::result::Result<Statute, Errors> {
    let mut e = Errors::default();
    let sfs = e.text(input, "sfs", MAX_NAME_CHARS);
    if let Some(s) = sfs.as_deref().filter(|s| !obligation::sfs_ok(s)) {
        e.add("sfs", msg::refusal(&AreaRefusal::BadSfs(s.to_string())));
    }
    let title = e.text(input, "title", MAX_NAME_CHARS);
    let in_force = date_or_none(&mut e, input, "in_force");
    let leading = select_id(&mut e, form, input, "leading");
    let url = e.optional_text(input, "url", MAX_NAME_CHARS);
    let is_web = |u: &str| {
        (u.starts_with("https://") || u.starts_with("http://")) && !u.contains(char::is_whitespace)
    };
    if !url.is_empty() && !is_web(&url) {
        e.add("url", URL_REFUSED);
    }
    let note = e.optional_paragraphs(input, "note", MAX_TEXT_CHARS);
    match (sfs, title, in_force, leading) {
        (Some(sfs), Some(title), Some(in_force), Some(leading)) if e.is_empty() => Ok(Statute {
            id: base.map_or(0, |b| b.id),
            sfs,
            title,
            in_force,
            leading_unit_id: leading,
            url,
            note,
        }),
        _ => Err(e),
    }
}

// ---- Duties ----

fn obligation_trail(s: &Statute, o: Option<&Obligation>) -> Vec<(String, String)> {
    match o {
        Some(o) => crate::safety::obligation_trail(s, o),
        None => crate::safety::statute_trail(s),
    }
    .after_start()
}

async fn obligation_page(
    state: &AppState,
    s: &Statute,
    o: Option<&Obligation>,
) -> Result<FormPage> {
    let fields = vec![
        Field::new("code", "Kod", FieldKind::Text)
            .required()
            .hint("Registrets kod, t.ex. L1."),
        Field::new("section", "Paragraf", FieldKind::Text)
            .hint("T.ex. 4 §. Lämna tomt om paragrafen inte är kontrollerad mot lagtexten."),
        Field::new("duty", "Skyldigheten", FieldKind::Textarea(3)).required(),
        Field::new("checklist", "Innehållskrav", FieldKind::Textarea(4))
            .hint("Ett krav per rad: det innehåll skyldigheten kräver."),
        Field::new("requirement", "Räknas till krav", FieldKind::Text).hint(
            "Skyldigheter med samma krav är uppfyllda först när alla är det, t.ex. 1. Lämna tomt om skyldigheten inte räknas.",
        ),
        Field::new("first_due", "Första sista datum", FieldKind::Date),
        Field::new("every_months", "Minst var N:e månad", FieldKind::Integer).hint(
            "Därefter senast så många månader (1–120) efter det senaste underlaget som uppfyller skyldigheten. Lämna tomt om den inte återkommer.",
        ),
        Field::new(
            "responsible",
            "Ansvarig nämnd",
            with_empty("Ingen angiven", boards(state).await?),
        ),
        Field::new(
            "fulfilled_by",
            "Uppfylls av underlag av slaget",
            with_empty(
                "Vilket underlag som helst",
                coded(EvidenceKind::ALL, EvidenceKind::code, EvidenceKind::label_sv),
            ),
        ),
        Field::new("note", "Anteckning", FieldKind::Textarea(3)),
    ];
    Ok(match o {
        None => page(
            format!("Ny skyldighet enligt {}", statute_label(s)),
            Some("Underlag och bedömningar läggs till på skyldighetens sida.".into()),
            format!("/statutes/{}/obligations/new", s.id),
            format!("/statutes/{}", s.id),
            "Lägg till skyldigheten",
            obligation_trail(s, None),
            fields,
        ),
        Some(o) => page(
            format!("Ändra {} {}", statute_label(s), o.code),
            None,
            format!("/obligations/{}/edit", o.id),
            format!("/obligations/{}", o.id),
            "Spara",
            obligation_trail(s, Some(o)),
            fields,
        ),
    })
}

fn obligation_values(o: &Obligation) -> Vec<(&'static str, String)> {
    vec![
        ("code", o.code.clone()),
        ("section", o.section.clone()),
        ("duty", o.duty.clone()),
        ("checklist", o.checklist.join("\n")),
        ("requirement", o.requirement.clone().unwrap_or_default()),
        ("first_due", o.first_due.clone().unwrap_or_default()),
        (
            "every_months",
            o.every_months.map(|m| m.to_string()).unwrap_or_default(),
        ),
        ("responsible", id_text(o.responsible_unit_id)),
        (
            "fulfilled_by",
            o.fulfilled_by
                .map(|k| k.code().to_string())
                .unwrap_or_default(),
        ),
        ("note", o.note.clone()),
    ]
}

/// A duty's header and checklist over `base` (evidence and assessments kept as they are).
fn parse_obligation(
    form: &FormPage,
    input: &Input,
    base: Obligation,
) -> std::result::Result<Obligation, Errors> {
    let mut e = Errors::default();
    let code = e.text(input, "code", MAX_NAME_CHARS);
    let section = e.optional_text(input, "section", MAX_NAME_CHARS);
    let duty = e.paragraphs(input, "duty", MAX_TEXT_CHARS);
    let checklist = lines(&mut e, input, "checklist", "checklist");
    let requirement = e.optional_text(input, "requirement", MAX_NAME_CHARS);
    let first_due = date_or_none(&mut e, input, "first_due");
    let every_months = e.optional_integer(input, "every_months", 1, 120);
    let responsible = select_id(&mut e, form, input, "responsible");
    let fulfilled_by = optional_choice(&mut e, input, "fulfilled_by", EvidenceKind::parse);
    let note = e.optional_paragraphs(input, "note", MAX_TEXT_CHARS);
    match (
        code,
        duty,
        first_due,
        every_months,
        responsible,
        fulfilled_by,
    ) {
        (Some(code), Some(duty), Some(first_due), Some(every), Some(responsible), Some(by))
            if e.is_empty() =>
        {
            Ok(Obligation {
                code,
                section,
                duty,
                checklist,
                requirement: some_text(requirement),
                first_due,
                every_months: every.map(|m| m as u32),
                responsible_unit_id: responsible,
                fulfilled_by: by,
                note,
                ..base
            })
        }
        _ => Err(e),
    }
}

fn new_obligation(statute_id: Id) -> Obligation {
    Obligation {
        id: 0,
        statute_id,
        code: String::new(),
        section: String::new(),
        duty: String::new(),
        checklist: Vec::new(),
        requirement: None,
        first_due: None,
        every_months: None,
        responsible_unit_id: None,
        fulfilled_by: None,
        evidence: Vec::new(),
        assessments: Vec::new(),
        note: String::new(),
    }
}

pub async fn new_obligation_form(
    State(state): State<AppState>,
    Path(id): Path<Id>,
) -> Result<Response> {
    let s = state.store.statute(id).await?;
    let next = state.store.obligations(id).await?.len() + 1;
    obligation_page(&state, &s, None)
        .await?
        .with_values([("code", format!("L{next}"))])
        .render_page()
}

pub async fn create_obligation(post: Post) -> Result<Response> {
    let state = &post.state;
    let s = state.store.statute(post.id).await?;
    let form = obligation_page(state, &s, None).await?;
    let parsed = parse_obligation(&form, &post.input, new_obligation(s.id));
    let parsed = without_personal_numbers(&form, &post.input, parsed);
    post.submit(
        async || obligation_page(state, &s, None).await,
        parsed,
        async |w, o| {
            let id = area_at(w.create_obligation(&o).await, "code", "first_due")?;
            Ok(format!("/obligations/{id}"))
        },
    )
    .await
}

/// A duty and its statute.
async fn obligation_of(state: &AppState, id: Id) -> Result<(Statute, Obligation)> {
    let o = state.store.obligation(id).await?;
    let s = state.store.statute(o.statute_id).await?;
    Ok((s, o))
}

pub async fn edit_obligation_form(
    State(state): State<AppState>,
    Path(id): Path<Id>,
) -> Result<Response> {
    let (s, o) = obligation_of(&state, id).await?;
    obligation_page(&state, &s, Some(&o))
        .await?
        .with_values(obligation_values(&o))
        .render_page()
}

pub async fn update_obligation(post: Post) -> Result<Response> {
    let state = &post.state;
    let (s, o) = obligation_of(state, post.id).await?;
    let form = obligation_page(state, &s, Some(&o)).await?;
    let parsed = parse_obligation(&form, &post.input, o.clone());
    let parsed = without_personal_numbers(&form, &post.input, parsed);
    post.submit(
        async || obligation_page(state, &s, Some(&o)).await,
        parsed,
        async |w, duty| {
            area_at(w.update_obligation(&duty).await, "code", "first_due")?;
            Ok(format!("/obligations/{}", duty.id))
        },
    )
    .await
}

// ---- A duty's evidence ----

/// What evidence can refer to: (`kind:id`, label), reports first.
async fn evidence_refs(state: &AppState) -> Result<Vec<(String, String)>> {
    let store = &state.store;
    let mut out = Vec::new();
    for r in store.situation_reports(None, None).await? {
        out.push((
            format!("{}:{}", EvidenceKind::SituationReport.code(), r.id),
            format!("Lägesbild: {}", report_label(&r)),
        ));
    }
    for a in store.agreements().await? {
        out.push((
            format!("{}:{}", EvidenceKind::Agreement.code(), a.id),
            format!("Överenskommelse: {}", agreement_label(&a)),
        ));
    }
    for f in store.forums().await? {
        out.push((
            format!("{}:{}", EvidenceKind::Forum.code(), f.id),
            format!("Forum: {}", forum_label(&f)),
        ));
    }
    Ok(out)
}

async fn evidence_page(state: &AppState, s: &Statute, o: &Obligation) -> Result<FormPage> {
    let refs = evidence_refs(state).await?;
    Ok(page(
        format!("Nytt underlag för {} {}", statute_label(s), o.code),
        Some(o.duty.clone()),
        format!("/obligations/{}/evidence/new", o.id),
        format!("/obligations/{}", o.id),
        "Lägg till underlaget",
        obligation_trail(s, Some(o)),
        vec![
            Field::new(
                "kind",
                "Slag av underlag",
                FieldKind::Radios(coded(
                    EvidenceKind::ALL,
                    EvidenceKind::code,
                    EvidenceKind::label_sv,
                )),
            )
            .required(),
            Field::new(
                "ref",
                "Lägesbild, överenskommelse eller forum",
                with_empty("Inget (ett beslut, en funktion eller ett dokument)", refs),
            )
            .hint("För underlag av slaget lägesbild, överenskommelse eller forum: vilket det är."),
            Field::new("date", "Datum", FieldKind::Date)
                .hint("Beslutets datum, lägesbildens slut eller överenskommelsens start."),
            Field::new("text", "Beskrivning", FieldKind::Textarea(3)).hint(
                "Beslut med organ, datum och paragraf (t.ex. KS 2024-06-10 § 5), funktionen eller dokumentet.",
            ),
        ],
    ))
}

fn parse_evidence(form: &FormPage, input: &Input) -> std::result::Result<Evidence, Errors> {
    let mut e = Errors::default();
    let kind = e.choice(input, "kind", EvidenceKind::parse);
    let offered = form
        .fields
        .iter()
        .find(|f| f.name == "ref")
        .map(|f| f.options().to_vec())
        .unwrap_or_default();
    let raw = e.optional_text(input, "ref", super::TYPED_MAX);
    let reference = if raw.is_empty() {
        Some(None)
    } else if offered.iter().any(|(v, _)| *v == raw) {
        raw.split_once(':')
            .and_then(|(k, id)| Some(Some((EvidenceKind::parse(k)?, id.parse::<Id>().ok()?))))
    } else {
        None
    };
    if reference.is_none() {
        e.add("ref", messages::unknown_choice(&raw));
    }
    let date = date_or_none(&mut e, input, "date");
    let text = e.optional_paragraphs(input, "text", MAX_TEXT_CHARS);
    let needs_ref = matches!(
        kind,
        Some(EvidenceKind::SituationReport | EvidenceKind::Agreement | EvidenceKind::Forum)
    );
    match (kind, reference.flatten()) {
        (Some(_), None) if needs_ref && reference.is_some() => {
            e.add("ref", REF_MISSING);
        }
        (Some(k), Some((rk, _))) if k != rk => e.add("ref", REF_OTHER_KIND),
        _ => {}
    }
    match (kind, reference, date) {
        (Some(kind), Some(reference), Some(date)) if e.is_empty() => Ok(Evidence {
            id: 0,
            kind,
            ref_id: reference.map(|(_, id)| id),
            date,
            text,
        }),
        _ => Err(e),
    }
}

/// Evidence of a kind that names a report, agreement or forum, without naming one.
const REF_MISSING: &str =
    "Välj vilken lägesbild, överenskommelse eller vilket forum som är underlaget.";
/// A reference of another kind than the evidence's.
const REF_OTHER_KIND: &str = "Det valda hör inte till det slag av underlag som är markerat. Välj ett av samma slag, eller inget för ett beslut, en funktion eller ett dokument.";

pub async fn evidence_form(State(state): State<AppState>, Path(id): Path<Id>) -> Result<Response> {
    let (s, o) = obligation_of(&state, id).await?;
    evidence_page(&state, &s, &o).await?.render_page()
}

pub async fn add_evidence(post: Post) -> Result<Response> {
    let state = &post.state;
    let (s, o) = obligation_of(state, post.id).await?;
    let form = evidence_page(state, &s, &o).await?;
    let parsed = without_personal_numbers(&form, &post.input, parse_evidence(&form, &post.input));
    post.submit(
        async || evidence_page(state, &s, &o).await,
        parsed,
        async |w, ev| {
            area_at(w.add_evidence(o.id, &ev).await, "text", "date")?;
            Ok(format!("/obligations/{}", o.id))
        },
    )
    .await
}

#[derive(serde::Deserialize)]
pub struct DutyEvidence {
    id: Id,
    eid: Id,
}

fn remove_evidence_page(s: &Statute, o: &Obligation, ev: &Evidence) -> FormPage {
    let mut what = ev.kind.label_sv().to_string();
    if !ev.text.is_empty() {
        what.push_str(": ");
        what.push_str(&uppsikt_domain::text::shown(&ev.text, 200));
    }
    if let Some(d) = &ev.date {
        what.push_str(&format!(" ({d})"));
    }
    page(
        format!("Ta bort underlag för {} {}", statute_label(s), o.code),
        Some(format!(
            "Underlaget ”{what}” tas bort från skyldigheten. Det finns kvar i historiken."
        )),
        format!("/obligations/{}/evidence/{}/remove", o.id, ev.id),
        format!("/obligations/{}", o.id),
        "Ta bort underlaget",
        obligation_trail(s, Some(o)),
        Vec::new(),
    )
}

/// The duty and its evidence `eid` (not found unless the evidence is the duty's).
async fn duty_evidence(
    state: &AppState,
    id: Id,
    eid: Id,
) -> Result<(Statute, Obligation, Evidence)> {
    let (s, o) = obligation_of(state, id).await?;
    let ev = o
        .evidence
        .iter()
        .find(|e| e.id == eid)
        .cloned()
        .ok_or(AppError::NotFound)?;
    Ok((s, o, ev))
}

pub async fn remove_evidence_form(
    State(state): State<AppState>,
    Path(DutyEvidence { id, eid }): Path<DutyEvidence>,
) -> Result<Response> {
    let (s, o, ev) = duty_evidence(&state, id, eid).await?;
    remove_evidence_page(&s, &o, &ev).render_page()
}

pub async fn remove_evidence(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(DutyEvidence { id, eid }): Path<DutyEvidence>,
    Form(input): Form,
) -> Result<Response> {
    let (s, o, ev) = duty_evidence(&state, id, eid).await?;
    let post = Post::new(&state, viewer, id, input);
    post.submit(
        async || Ok(remove_evidence_page(&s, &o, &ev)),
        Ok(()),
        async |w, ()| {
            area_at(w.remove_evidence(ev.id).await, "text", "text")?;
            Ok(format!("/obligations/{}", o.id))
        },
    )
    .await
}

// ---- A duty's status assessments ----

async fn assessment_page(
    state: &AppState,
    viewer: &Viewer,
    s: &Statute,
    o: &Obligation,
) -> Result<FormPage> {
    let facts = state.store.evidence_facts().await?;
    let mut intro = format!("{} Nuvarande status: {}.", o.duty, o.status().label_sv());
    if let Some(due) = obligation::next_due(o, &facts) {
        intro.push_str(&format!(" Nästa sista datum: {due}."));
    }
    let mut fields = vec![
        Field::new(
            "status",
            "Status",
            FieldKind::Radios(coded(
                ComplianceStatus::ALL,
                ComplianceStatus::code,
                ComplianceStatus::label_sv,
            )),
        )
        .required()
        .hint(&format!(
            "”Uppfylld” kräver {}.",
            obligation::missing_evidence_sv(o)
        )),
        Field::new("assessed_by", "Bedömd av", FieldKind::Text)
            .required()
            .hint("T.ex. Revisorerna (KPMG), granskning 2023/24, eller nämnden."),
    ];
    // Whether the auditors assessed follows from who enters it, except for those who keep
    // the register and may enter the auditors' assessment from their report.
    if keeps_register(viewer) {
        fields.push(Field::new(
            "by_auditors",
            "Är det revisorernas bedömning?",
            FieldKind::Radios(yes_no()),
        ));
    }
    fields.extend([
        Field::new("assessed_on", "Datum för bedömningen", FieldKind::Date)
            .required()
            .hint("Senast i dag."),
        Field::new("text", "Motivering", FieldKind::Textarea(4)),
    ]);
    Ok(page(
        format!("Bedöm {} {}", statute_label(s), o.code),
        Some(intro),
        format!("/obligations/{}/assessments/new", o.id),
        format!("/obligations/{}", o.id),
        "Spara bedömningen",
        obligation_trail(s, Some(o)),
        fields,
    ))
}

fn keeps_register(viewer: &Viewer) -> bool {
    viewer.allows(Action::ManageSafety, &[])
}

fn is_auditor(viewer: &Viewer) -> bool {
    viewer.principal.role == Role::Auditor
}

fn parse_assessment(
    viewer: &Viewer,
    input: &Input,
) -> std::result::Result<ObligationAssessment, Errors> {
    let mut e = Errors::default();
    let status = e.choice(input, "status", ComplianceStatus::parse);
    let assessed_by = e.text(input, "assessed_by", MAX_NAME_CHARS);
    let assessed_on = e.date(input, "assessed_on");
    let text = e.optional_paragraphs(input, "text", MAX_TEXT_CHARS);
    let by_auditors = is_auditor(viewer) || (keeps_register(viewer) && yes(input, "by_auditors"));
    match (status, assessed_by, assessed_on) {
        (Some(status), Some(assessed_by), Some(assessed_on)) if e.is_empty() => {
            Ok(ObligationAssessment {
                status,
                assessed_by,
                by_auditors,
                assessed_on,
                text,
            })
        }
        _ => Err(e),
    }
}

pub async fn assessment_form(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<Id>,
) -> Result<Response> {
    let (s, o) = obligation_of(&state, id).await?;
    let assessed_by = if is_auditor(&viewer) {
        "Revisorerna".to_string()
    } else {
        match o.responsible_unit_id {
            Some(u) => state.store.org_unit(u).await?.name,
            None => viewer
                .user
                .as_ref()
                .map(|u| u.display_name.clone())
                .unwrap_or_default(),
        }
    };
    let mut page = assessment_page(&state, &viewer, &s, &o)
        .await?
        .with_values([
            ("assessed_by", assessed_by),
            ("assessed_on", uppsikt_store::today()),
        ]);
    if keeps_register(&viewer) {
        page = page.with_values([("by_auditors", "no".to_string())]);
    }
    page.render_page()
}

pub async fn add_assessment(post: Post) -> Result<Response> {
    let state = &post.state;
    let (s, o) = obligation_of(state, post.id).await?;
    let form = assessment_page(state, &post.viewer, &s, &o).await?;
    let parsed = without_personal_numbers(
        &form,
        &post.input,
        parse_assessment(&post.viewer, &post.input),
    );
    let today = uppsikt_store::today();
    post.submit(
        async || assessment_page(state, &post.viewer, &s, &o).await,
        parsed,
        async |w, a| {
            area_at(
                w.add_obligation_assessment(o.id, &a, &today).await,
                "status",
                "assessed_on",
            )?;
            Ok(format!("/obligations/{}", o.id))
        },
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn party_kinds_read_as_people_write_them() {
        assert_eq!(party_kind("polisen"), Some(PartyKind::Police));
        assert_eq!(party_kind(" Polis "), Some(PartyKind::Police));
        assert_eq!(party_kind("kommun"), Some(PartyKind::Municipality));
        assert_eq!(
            party_kind("kommunalt bolag"),
            Some(PartyKind::MunicipalCompany)
        );
        assert_eq!(party_kind("kriminalvård"), Some(PartyKind::PrisonProbation));
        assert_eq!(
            party_kind("Räddningstjänst"),
            Some(PartyKind::RescueService)
        );
        assert_eq!(party_kind("annan part"), Some(PartyKind::Other));
        assert_eq!(party_kind("kom"), None, "too short to guess");
        assert_eq!(party_kind("bank"), None);
        for k in PartyKind::ALL {
            assert_eq!(party_kind(&k.label_sv().to_lowercase()), Some(*k));
        }
    }

    #[test]
    fn plans_are_yes_or_no() {
        assert_eq!(plan_answer(" ja"), Some(true));
        assert_eq!(plan_answer("plan nej"), Some(false));
        assert_eq!(plan_answer("kanske"), None);
    }

    #[test]
    fn refusals_land_at_the_field_they_name() {
        assert_eq!(
            field_of(&AreaRefusal::PersonalNumber("summary", "xxx".into())),
            Some("summary")
        );
        assert_eq!(field_of(&AreaRefusal::Required("party")), Some("parties"));
        assert_eq!(field_of(&AreaRefusal::Duplicate("x".into())), None);
        let r: std::result::Result<(), StoreError> =
            Err(StoreError::Area(AreaRefusal::EndBeforeStart));
        match area_at(r, "title", "period_end") {
            Err(Refusal::At(e)) => assert!(e.0.contains_key("period_end")),
            _ => panic!("a refusal at a field"),
        }
    }
}
