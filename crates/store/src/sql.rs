//! SQL text shared by the store's queries: numbered parameter lists and queries over a
//! list of ids, in chunks both backends accept.

use uppsikt_domain::model::Id;

use crate::write::Bind;
use crate::{Backend, Result};

/// Ids bound per statement of [`rows_for`] (SQLite allows 32,766 parameters, PostgreSQL
/// 65,535; a chunk keeps statements small on both).
const IDS_PER_STATEMENT: usize = 500;

/// `$first, $first+1, …` for `n` parameters.
pub(crate) fn placeholders(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|k| format!("${k}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The values of a multi-row insert of `rows` rows of `cols` parameters:
/// `($1, …, $cols), ($cols+1, …)` on PostgreSQL, `(?, …), (?, …)` on SQLite, which looks
/// a numbered parameter up by its name among those before it (a bulk statement with
/// thousands of them would spend its time there).
pub(crate) fn value_rows(backend: Backend, rows: usize, cols: usize) -> String {
    let row = |r: usize| match backend {
        Backend::Postgres => placeholders(r * cols + 1, cols),
        Backend::Sqlite => vec!["?"; cols].join(", "),
    };
    (0..rows)
        .map(|r| format!("({})", row(r)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Rows of `sql`, in which `@IDS@` stands for the list of ids (`… IN (@IDS@)`), for every
/// chunk of `ids`.
pub(crate) async fn rows_for<T>(
    conn: &mut sqlx::AnyConnection,
    sql: &str,
    ids: &[Id],
) -> Result<Vec<T>>
where
    T: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> + Send + Unpin,
{
    let mut out = Vec::new();
    for chunk in ids.chunks(IDS_PER_STATEMENT) {
        let sql = sql.replace("@IDS@", &placeholders(1, chunk.len()));
        let mut q = sqlx::query_as::<_, T>(&sql);
        for id in chunk {
            q = q.bind(*id);
        }
        out.extend(q.fetch_all(&mut *conn).await?);
    }
    Ok(out)
}

/// The rows of `sql` with its parameters.
pub(crate) async fn rows_with<T>(
    conn: &mut sqlx::AnyConnection,
    sql: &str,
    binds: &[Bind],
) -> Result<Vec<T>>
where
    T: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> + Send + Unpin,
{
    let mut q = sqlx::query_as::<_, T>(sql);
    for b in binds {
        q = match b.clone() {
            Bind::Int(v) => q.bind(v),
            Bind::OptInt(v) => q.bind(v),
            Bind::Real(v) => q.bind(v),
            // A NULL that reaches PostgreSQL as `float8` (see `Bind::apply`).
            Bind::OptReal(None) => q.bind(None::<f32>),
            Bind::OptReal(v) => q.bind(v),
            Bind::Text(v) => q.bind(v),
            Bind::OptText(v) => q.bind(v),
        };
    }
    Ok(q.fetch_all(&mut *conn).await?)
}

#[cfg(test)]
mod tests {
    use super::{placeholders, value_rows};
    use crate::Backend;

    #[test]
    fn placeholders_count_from_the_first() {
        assert_eq!(placeholders(3, 2), "$3, $4");
        assert_eq!(placeholders(1, 1), "$1");
        assert_eq!(placeholders(5, 0), "");
    }

    #[test]
    fn value_rows_number_every_parameter_once() {
        assert_eq!(
            value_rows(Backend::Postgres, 2, 3),
            "($1, $2, $3), ($4, $5, $6)"
        );
        assert_eq!(value_rows(Backend::Sqlite, 2, 2), "(?, ?), (?, ?)");
        assert_eq!(value_rows(Backend::Postgres, 0, 3), "");
    }
}
