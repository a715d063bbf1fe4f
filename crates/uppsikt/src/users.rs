//! `uppsikt user …`: accounts from the command line, and the demo's accounts.

use std::io::BufRead;

use clap::Subcommand;
use uppsikt_domain::access::Role;
use uppsikt_domain::messages::cli as cli_messages;
use uppsikt_store::{NewUser, Store, StoreError};
use uppsikt_web::auth::password::{hash_password, random_token, MIN_PASSWORD_CHARS};

use crate::Failure;

/// Who the change log records for command-line account changes.
const CLI_ACTOR: &str = "kommandorad";

#[derive(Subcommand)]
pub enum UserCommand {
    /// Create an account.
    #[command(
        about = "Skapa ett konto; utan --password-stdin skapas ett slumpat lösenord som skrivs ut en gång"
    )]
    Add {
        #[arg(help = "Användarnamn (inloggningsnamn)")]
        username: String,
        #[arg(long, help = "Namn som visas, t.ex. \"Anna Åström\"")]
        name: String,
        #[arg(
            long,
            help = "Roll: admin, controller, editor (redaktör), reader (läsare) eller auditor (revisor)"
        )]
        role: String,
        #[arg(
            long = "unit",
            help = "För redaktörer: enhet (id eller kortnamn) som kontot får ändra, med underenheter; kan anges flera gånger"
        )]
        units: Vec<String>,
        #[arg(long, help = "Läs lösenordet från första raden på standard in")]
        password_stdin: bool,
        #[arg(
            long,
            help = "Inloggning via organisationens konto: kontots subject (sub) hos OpenID Connect-utfärdaren; kontot får då inget lösenord"
        )]
        oidc_subject: Option<String>,
    },
    /// Set a new password (ends the account's sessions, lifts a lock-out).
    #[command(about = "Sätt ett nytt lösenord (avslutar kontots inloggningar och häver en spärr)")]
    SetPassword {
        username: String,
        #[arg(long, help = "Läs lösenordet från första raden på standard in")]
        password_stdin: bool,
    },
    /// Disable an account (ends its sessions at once).
    #[command(about = "Stäng av ett konto (avslutar dess inloggningar direkt)")]
    Disable { username: String },
    /// Enable a disabled account.
    #[command(about = "Aktivera ett avstängt konto")]
    Enable { username: String },
    /// List accounts.
    #[command(about = "Lista konton")]
    List,
}

fn password(from_stdin: bool) -> Result<(String, bool), Failure> {
    if !from_stdin {
        return Ok((random_token()[..20].to_string(), true));
    }
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| Failure(cli_messages::cannot_read_password(&e)))?;
    let password = line.trim_end_matches(['\n', '\r']).to_string();
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(Failure(cli_messages::password_too_short(
            MIN_PASSWORD_CHARS,
        )));
    }
    Ok((password, false))
}

fn hash(password: &str) -> Result<String, Failure> {
    hash_password(password).map_err(|e| Failure(cli_messages::cannot_hash_password(&e)))
}

async fn user_id(store: &Store, username: &str) -> Result<i64, Failure> {
    Ok(store
        .user_by_name(username)
        .await?
        .ok_or_else(|| Failure(cli_messages::no_such_account(username)))?
        .id)
}

pub async fn run(store: &Store, command: UserCommand) -> Result<(), Failure> {
    match command {
        UserCommand::Add {
            username,
            name,
            role,
            units,
            password_stdin,
            oidc_subject,
        } => {
            let role = Role::parse(&role)
                .filter(|r| *r != Role::Public)
                .ok_or_else(|| Failure(cli_messages::unknown_role(&role)))?;
            if role == Role::Editor && units.is_empty() {
                return Err(Failure(cli_messages::EDITOR_NEEDS_UNIT.into()));
            }
            let username = username.trim().to_string();
            if username.is_empty() || username.chars().count() > 100 {
                return Err(Failure(cli_messages::USERNAME_LENGTH.into()));
            }
            let mut unit_ids = Vec::new();
            for u in &units {
                let unit = store
                    .find_org_unit(u)
                    .await
                    .map_err(|_| Failure(cli_messages::unknown_unit(u)))?;
                unit_ids.push(unit.id);
            }
            // An SSO account has no password; otherwise one is read or generated.
            let (password, generated) = match &oidc_subject {
                Some(_) => (None, false),
                None => {
                    let (p, generated) = password(password_stdin)?;
                    (Some(p), generated)
                }
            };
            let password_hash = match &password {
                Some(p) => Some(hash(p)?),
                None => None,
            };
            let mut w = store
                .writer(CLI_ACTOR, uppsikt_store::ChangeSource::Cli)
                .await?;
            let added = w
                .add_user(&NewUser {
                    username: username.clone(),
                    display_name: name,
                    role,
                    units: unit_ids,
                    password_hash,
                    oidc_subject,
                })
                .await;
            match added {
                Err(StoreError::Duplicate(_)) => {
                    return Err(Failure(cli_messages::account_exists(&username)))
                }
                other => other?,
            };
            w.commit().await?;
            println!("Kontot {username} ({}) är skapat.", role.label_sv());
            if let (true, Some(password)) = (generated, password) {
                println!("Lösenord (visas bara nu): {password}");
            }
            Ok(())
        }
        UserCommand::SetPassword {
            username,
            password_stdin,
        } => {
            let id = user_id(store, &username).await?;
            let (password, generated) = password(password_stdin)?;
            let mut w = store
                .writer(CLI_ACTOR, uppsikt_store::ChangeSource::Cli)
                .await?;
            w.set_password(id, &hash(&password)?).await?;
            w.commit().await?;
            println!("Nytt lösenord för {username} är satt; kontots inloggningar är avslutade.");
            if generated {
                println!("Lösenord (visas bara nu): {password}");
            }
            Ok(())
        }
        UserCommand::Disable { username } => set_disabled(store, &username, true).await,
        UserCommand::Enable { username } => set_disabled(store, &username, false).await,
        UserCommand::List => {
            for u in store.users().await? {
                println!(
                    "{}\t{}\t{}{}",
                    u.username,
                    u.display_name,
                    u.role.label_sv(),
                    if u.disabled { "\t(avstängt)" } else { "" }
                );
            }
            Ok(())
        }
    }
}

async fn set_disabled(store: &Store, username: &str, disabled: bool) -> Result<(), Failure> {
    let id = user_id(store, username).await?;
    let mut w = store
        .writer(CLI_ACTOR, uppsikt_store::ChangeSource::Cli)
        .await?;
    w.set_user_disabled(id, disabled).await?;
    w.commit().await?;
    if disabled {
        println!("Kontot {username} är avstängt; dess inloggningar är avslutade.");
    } else {
        println!("Kontot {username} är aktiverat.");
    }
    Ok(())
}

/// The demo's password for every demo account (the demo listens on localhost only).
pub const DEMO_PASSWORD: &str = "uppsikt-demo";

/// Creates the demo's accounts that do not exist yet.
pub async fn demo_accounts(store: &Store) -> Result<Vec<(String, String)>, Failure> {
    let accounts: [(&str, &str, Role, &[&str]); 6] = [
        ("admin", "Administratör Demo", Role::Admin, &[]),
        ("controller", "Karin Controller", Role::Controller, &[]),
        (
            "redaktor-ks",
            "Åsa Öberg (redaktör KS)",
            Role::Editor,
            &["KS"],
        ),
        (
            "redaktor-fsn",
            "Örjan Ek (redaktör FSN)",
            Role::Editor,
            &["FSN"],
        ),
        ("lasare", "Lena Läsare", Role::Reader, &[]),
        ("revisor", "Rut Revisor", Role::Auditor, &[]),
    ];
    let mut created = Vec::new();
    let mut w = store
        .writer("demo", uppsikt_store::ChangeSource::Demo)
        .await?;
    for (username, name, role, units) in accounts {
        if store.user_by_name(username).await?.is_some() {
            continue;
        }
        let mut ids = Vec::new();
        for u in units {
            ids.push(store.find_org_unit(u).await?.id);
        }
        w.add_user(&NewUser {
            username: username.into(),
            display_name: name.into(),
            role,
            units: ids,
            password_hash: Some(hash(DEMO_PASSWORD)?),
            oidc_subject: None,
        })
        .await?;
        created.push((username.to_string(), role.label_sv().to_string()));
    }
    w.commit().await?;
    Ok(created)
}
