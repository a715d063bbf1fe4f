//! Who may do what: roles, scope and the one decision function every route goes through.
//!
//! Pure: the web layer resolves which organisation unit a request concerns (and that unit's
//! ancestors) and asks [`allows`]; nothing else decides access.

use crate::model::Id;

/// A user's role. Editors also have a scope: the units (and their children) they edit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Manages accounts; may do everything a controller may.
    Admin,
    /// Everything in planning and follow-up, incl. locking and reopening periods.
    Controller,
    /// Writes goals, indicators, outcomes, analyses and assessments of the units in scope.
    Editor,
    /// Reads everything except the change log export.
    Reader,
    /// Reads everything, incl. the change history and its export.
    Auditor,
    /// Not signed in: sees only periods a board has decided (locked).
    Public,
}

impl Role {
    pub const ALL: [Role; 6] = [
        Role::Admin,
        Role::Controller,
        Role::Editor,
        Role::Reader,
        Role::Auditor,
        Role::Public,
    ];

    /// The key stored in the database and typed on the command line.
    pub fn key(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Controller => "controller",
            Role::Editor => "editor",
            Role::Reader => "reader",
            Role::Auditor => "auditor",
            Role::Public => "public",
        }
    }

    pub fn parse(key: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.key() == key.trim())
    }

    pub fn label_sv(self) -> &'static str {
        match self {
            Role::Admin => "administratör",
            Role::Controller => "controller",
            Role::Editor => "redaktör",
            Role::Reader => "läsare",
            Role::Auditor => "revisor",
            Role::Public => "allmänheten",
        }
    }
}

/// What a request wants to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Read published pages (decided periods).
    ReadPublished,
    /// Read everything: drafts, proposals, indicator pages, the API, report jobs.
    ReadAll,
    /// Read an object's change history.
    ReadHistory,
    /// Export the whole change log.
    ExportLog,
    /// Change planning or follow-up data belonging to a unit.
    Edit,
    /// Lock a period after a board decision.
    LockPeriod,
    /// Reopen a locked period (with a reason).
    ReopenPeriod,
    /// Manage accounts.
    ManageUsers,
    /// Import outcomes from a file. Editors may too, but only for indicators of units in
    /// their scope: the importer asks [`Action::Edit`] for each row's unit.
    ImportData,
    /// Configure data sources and the municipality's reference data: the Kolada link,
    /// comparison groups, fetching from Kolada, and adding areas (which every unit sees).
    ManageSources,
    /// Raise the automatic deviations that are due for the whole municipality (not one
    /// unit's: controllers and administrators).
    RaiseDeviations,
    /// See how the assessment rules agree with decided levels, try other settings and save
    /// a new version of the rules (they apply to every unit: controllers and administrators).
    ManageRules,
    /// Manage what internal control shares across the municipality: push KS's common
    /// risks and controls into every board's plan, and save versions of the risk matrix
    /// (controllers and administrators: KS's oversight duty).
    ManageInternalControl,
    /// Register audits, their questions and recommendations, and the yearly verdicts: the
    /// auditors' own work (auditors, and controllers and administrators who keep the
    /// register). Boards' responses are [`Action::Edit`] of the responding unit.
    ManageAudits,
    /// Keep the municipality's crime-prevention register: situation reports, forums,
    /// agreements, statutes and their duties, the level scale (controllers and
    /// administrators: KS's leadership under Lag 2023:196). A duty's status may also be
    /// assessed by the auditors ([`Action::ManageAudits`]) and by its responsible board
    /// ([`Action::Edit`] of that unit).
    ManageSafety,
    /// Keep the municipality's economy: the cost types and account plan, ledger (SIE)
    /// imports, tolerances, the equity rule, and grants with their allocations and spend
    /// (controllers and administrators). A unit's own budget lines, forecasts and
    /// explanations are [`Action::Edit`] of that unit.
    ManageEconomy,
}

impl Action {
    pub const ALL: [Action; 16] = [
        Action::ReadPublished,
        Action::ReadAll,
        Action::ReadHistory,
        Action::ExportLog,
        Action::Edit,
        Action::LockPeriod,
        Action::ReopenPeriod,
        Action::ManageUsers,
        Action::ImportData,
        Action::ManageSources,
        Action::RaiseDeviations,
        Action::ManageRules,
        Action::ManageInternalControl,
        Action::ManageAudits,
        Action::ManageSafety,
        Action::ManageEconomy,
    ];
}

/// The signed-in person (or the public) as access decisions see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub role: Role,
    /// For editors: the units they were given (each covers its children too).
    pub units: Vec<Id>,
}

impl Principal {
    pub fn public() -> Principal {
        Principal {
            role: Role::Public,
            units: Vec::new(),
        }
    }

    /// Whether this principal may do `action` on data of the unit whose chain from itself
    /// up to the root is `unit_and_ancestors` (empty when the action concerns no unit).
    pub fn allows(&self, action: Action, unit_and_ancestors: &[Id]) -> bool {
        use Action::*;
        match (self.role, action) {
            (_, ReadPublished) => true,
            (Role::Public, _) => false,
            (Role::Admin, _) => true,
            (Role::Controller, ManageUsers) => false,
            (Role::Controller, _) => true,
            (_, ReadAll | ReadHistory) => true,
            (Role::Auditor, ExportLog | ManageAudits) => true,
            (Role::Editor, ImportData) => true,
            (Role::Editor, Edit) => unit_and_ancestors.iter().any(|u| self.units.contains(u)),
            _ => false,
        }
    }

    /// A key that is equal for principals who see every page the same way (page cache).
    pub fn view_key(&self) -> String {
        match self.role {
            Role::Editor => {
                let mut units = self.units.clone();
                units.sort_unstable();
                let units: Vec<String> = units.iter().map(Id::to_string).collect();
                format!("editor:{}", units.join(","))
            }
            role => role.key().to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn editor(units: &[Id]) -> Principal {
        Principal {
            role: Role::Editor,
            units: units.to_vec(),
        }
    }

    #[test]
    fn editors_edit_their_units_and_children_only() {
        let e = editor(&[2]);
        assert!(e.allows(Action::Edit, &[2, 1]));
        assert!(e.allows(Action::Edit, &[5, 2, 1]), "a child of the unit");
        assert!(!e.allows(Action::Edit, &[3, 1]), "a sibling");
        assert!(!e.allows(Action::Edit, &[1]), "the parent");
        assert!(!e.allows(Action::Edit, &[]));
        assert!(!e.allows(Action::ReopenPeriod, &[2]));
        assert!(!e.allows(Action::ExportLog, &[]));
        assert!(e.allows(Action::ReadHistory, &[]));
    }

    #[test]
    fn each_role_gets_exactly_its_rights() {
        let actions = Action::ALL;
        let expected: [(Role, [bool; 15]); 6] = [
            (Role::Admin, [true; 15]),
            (
                Role::Controller,
                [
                    true, true, true, true, true, true, true, false, true, true, true, true, true,
                    true, true,
                ],
            ),
            (
                Role::Editor,
                [
                    true, true, true, false, true, false, false, false, true, false, false, false,
                    false, false, false,
                ],
            ),
            (
                Role::Reader,
                [
                    true, true, true, false, false, false, false, false, false, false, false,
                    false, false, false, false,
                ],
            ),
            (
                Role::Auditor,
                [
                    true, true, true, true, false, false, false, false, false, false, false, false,
                    false, true, false,
                ],
            ),
            (
                Role::Public,
                [
                    true, false, false, false, false, false, false, false, false, false, false,
                    false, false, false, false,
                ],
            ),
        ];
        for (role, rights) in expected {
            let p = Principal {
                role,
                units: vec![1],
            };
            for (action, right) in actions.iter().zip(rights) {
                assert_eq!(p.allows(*action, &[1]), right, "{role:?} {action:?}");
            }
        }
    }

    #[test]
    fn roles_round_trip_through_their_keys() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.key()), Some(r));
        }
        assert_eq!(Role::parse("superuser"), None);
    }

    #[test]
    fn view_keys_separate_what_is_seen_differently() {
        assert_eq!(editor(&[3, 2]).view_key(), editor(&[2, 3]).view_key());
        assert_ne!(editor(&[2]).view_key(), editor(&[3]).view_key());
        assert_ne!(Principal::public().view_key(), "reader");
    }
}
