//! The Library's reading side: pages of jobs newest first, cut at
//! `(created_at, id)` so jobs created while someone scrolls never shift a
//! page (no duplicates, no gaps), found by words and narrowed by status,
//! language, model and date; the storage the Library takes; and filling in
//! the search columns of jobs written before they existed.

use chorus_core::api::{LibraryUsage, MAX_JOB_PAGE};
use chorus_core::{GenerationRequest, Job, JobOutput, JobStatus, Language};
use time::macros::format_description;

use crate::db::{Db, on_db};
use crate::jobs::{COLUMNS, JobRow};
use crate::{holdings, search};

/// Where a page starts: just after (older than) this job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub created_at: i64,
    pub id: String,
}

impl Cursor {
    /// The cursor after `job`, as `next` carries it: `{created_at}-{id}`.
    pub fn after(job: &Job) -> String {
        format!("{}-{}", job.created_at, job.id)
    }

    fn parse(text: &str) -> Option<Cursor> {
        let (created_at, id) = text.split_once('-')?;
        let created_at = created_at.parse().ok()?;
        let plain = |c: char| c.is_ascii_alphanumeric() || c == '_';
        (!id.is_empty() && id.len() <= 100 && id.chars().all(plain)).then(|| Cursor {
            created_at,
            id: id.to_string(),
        })
    }
}

/// One `GET /api/jobs` request, checked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query {
    pub before: Option<Cursor>,
    pub limit: u32,
    /// Lower-cased words that must all appear (`search::words`).
    pub words: Vec<String>,
    pub statuses: Vec<JobStatus>,
    pub languages: Vec<Language>,
    pub models: Vec<String>,
    /// Created at or after (Unix ms).
    pub from: Option<i64>,
    /// Created before (Unix ms).
    pub to: Option<i64>,
}

/// The parameters `GET /api/jobs` takes, for messages.
const PARAMETERS: &str = "before, limit, q, status, language, model, from, to";

/// The longest `q=` taken, in characters.
const MAX_QUERY_CHARS: usize = 200;

impl Query {
    /// Checks the query string's pairs; the error names the parameter and
    /// says what it takes.
    pub fn parse(pairs: &[(String, String)]) -> Result<Query, String> {
        let mut query = Query {
            limit: MAX_JOB_PAGE,
            ..Query::default()
        };
        for (name, value) in pairs {
            let value = value.trim();
            match name.as_str() {
                "before" => {
                    query.before = Some(Cursor::parse(value).ok_or_else(|| {
                        format!(
                            "before={value} is not a page cursor; pass the `next` of the page before"
                        )
                    })?);
                }
                "limit" => {
                    query.limit = value
                        .parse()
                        .ok()
                        .filter(|n| (1..=MAX_JOB_PAGE).contains(n))
                        .ok_or_else(|| {
                            format!("limit={value} must be a whole number from 1 to {MAX_JOB_PAGE}")
                        })?;
                }
                "q" => {
                    if value.chars().count() > MAX_QUERY_CHARS {
                        return Err(format!(
                            "q is {} characters long; a search takes at most {MAX_QUERY_CHARS}",
                            value.chars().count()
                        ));
                    }
                    query.words.extend(search::words(value));
                }
                "status" => {
                    for part in list(value) {
                        query.statuses.push(JobStatus::parse(part).ok_or_else(|| {
                            format!(
                                "status={part} is not a job status; use {}",
                                JobStatus::ALL.map(JobStatus::as_str).join(", ")
                            )
                        })?);
                    }
                }
                "language" => {
                    for part in list(value) {
                        let language = Language::ALL
                            .into_iter()
                            .find(|l| l.code() == part)
                            .ok_or_else(|| {
                                format!(
                                    "language={part} is not a language Chorus speaks; use {}",
                                    Language::ALL.map(Language::code).join(", ")
                                )
                            })?;
                        query.languages.push(language);
                    }
                }
                "model" => query.models.extend(list(value).map(str::to_string)),
                "from" => query.from = Some(day_start(name, value)?),
                "to" => query.to = Some(day_start(name, value)? + DAY_MS),
                other => {
                    return Err(format!(
                        "{other} is not a parameter of the job list; it takes {PARAMETERS}"
                    ));
                }
            }
        }
        if let (Some(from), Some(to)) = (query.from, query.to)
            && to <= from
        {
            return Err("to= is before from=; the dates are a range, oldest first".into());
        }
        Ok(query)
    }
}

/// A comma-separated value's non-empty parts.
fn list(value: &str) -> impl Iterator<Item = &str> {
    value.split(',').map(str::trim).filter(|p| !p.is_empty())
}

const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// The start (Unix ms, UTC) of the day `value` names as `YYYY-MM-DD`.
fn day_start(name: &str, value: &str) -> Result<i64, String> {
    let date = time::Date::parse(value, format_description!("[year]-[month]-[day]"))
        .map_err(|_| format!("{name}={value} is not a date; write it as YYYY-MM-DD (UTC)"))?;
    Ok(date.midnight().assume_utc().unix_timestamp() * 1000)
}

/// A value bound to a query built at run time.
enum Arg {
    Text(String),
    Int(i64),
}

/// The page `query` asks for, newest first, and the cursor of the next
/// one when there are more. Deleted jobs are left out.
pub async fn find(db: &Db, query: &Query) -> anyhow::Result<(Vec<Job>, Option<String>)> {
    let mut conditions = vec!["deleted_at IS NULL".to_string()];
    let mut args: Vec<Arg> = Vec::new();
    let arg = |value: Arg, args: &mut Vec<Arg>| {
        args.push(value);
        format!("${}", args.len())
    };
    if let Some(cursor) = &query.before {
        let at = arg(Arg::Int(cursor.created_at), &mut args);
        let id = arg(Arg::Text(cursor.id.clone()), &mut args);
        conditions.push(format!(
            "(created_at < {at} OR (created_at = {at} AND id < {id}))"
        ));
    }
    for word in &query.words {
        let p = arg(Arg::Text(search::contains_pattern(word)), &mut args);
        conditions.push(format!("search LIKE {p} ESCAPE '\\'"));
    }
    let mut any_of = |column: &str, op: &str, values: Vec<Arg>, args: &mut Vec<Arg>| {
        if values.is_empty() {
            return;
        }
        let tests: Vec<String> = values
            .into_iter()
            .map(|v| format!("{column} {op} {}", arg(v, args)))
            .collect();
        conditions.push(format!("({})", tests.join(" OR ")));
    };
    let statuses = query.statuses.iter().map(|s| Arg::Text(s.as_str().into()));
    any_of("status", "=", statuses.collect(), &mut args);
    let languages = query
        .languages
        .iter()
        .map(|l| Arg::Text(search::language_pattern(*l)));
    any_of("languages", "LIKE", languages.collect(), &mut args);
    let models = query.models.iter().map(|m| Arg::Text(m.clone()));
    any_of("model", "=", models.collect(), &mut args);
    if let Some(from) = query.from {
        let p = arg(Arg::Int(from), &mut args);
        conditions.push(format!("created_at >= {p}"));
    }
    if let Some(to) = query.to {
        let p = arg(Arg::Int(to), &mut args);
        conditions.push(format!("created_at < {p}"));
    }
    // One more than the page, to know whether another follows.
    let limit = arg(Arg::Int(i64::from(query.limit) + 1), &mut args);
    let sql = format!(
        "SELECT {COLUMNS} FROM jobs WHERE {} ORDER BY created_at DESC, id DESC LIMIT {limit}",
        conditions.join(" AND ")
    );
    let rows = on_db!(db, pool => {
        let mut q = sqlx::query_as::<_, JobRow>(&sql);
        for a in &args {
            q = match a {
                Arg::Text(text) => q.bind(text),
                Arg::Int(n) => q.bind(*n),
            };
        }
        q.fetch_all(pool).await
    })?;
    let mut jobs: Vec<Job> = rows
        .into_iter()
        .map(JobRow::into_job)
        .collect::<anyhow::Result<_>>()?;
    let next = if jobs.len() > query.limit as usize {
        jobs.truncate(query.limit as usize);
        jobs.last().map(Cursor::after)
    } else {
        None
    };
    Ok((jobs, next))
}

/// How many jobs the Library shows and the bytes their assets take, each
/// asset counted once.
pub async fn usage(db: &Db) -> anyhow::Result<LibraryUsage> {
    let (jobs, bytes) = on_db!(db, pool => sqlx::query_as::<_, (i64, i64)>(
        "SELECT
            (SELECT CAST(COUNT(*) AS BIGINT) FROM jobs WHERE deleted_at IS NULL),
            (SELECT CAST(COALESCE(SUM(bytes), 0) AS BIGINT) FROM assets WHERE id IN (
                SELECT ja.asset_id FROM job_assets ja JOIN jobs j ON j.id = ja.job_id
                WHERE j.deleted_at IS NULL))",
    )
    .fetch_one(pool)
    .await)?;
    Ok(LibraryUsage {
        jobs: jobs.max(0) as u64,
        bytes: bytes.max(0) as u64,
    })
}

/// Fills in the search columns and asset links of jobs written before
/// they existed (`search IS NULL`), a batch at a time; returns how many.
/// `serve` runs it at start-up.
pub async fn index_older_jobs(db: &Db) -> anyhow::Result<usize> {
    let mut done = 0;
    loop {
        let rows = on_db!(db, pool => sqlx::query_as::<_, (String, String, String)>(
            "SELECT id, request, outputs FROM jobs WHERE search IS NULL ORDER BY id LIMIT 200",
        )
        .fetch_all(pool)
        .await)?;
        if rows.is_empty() {
            return Ok(done);
        }
        for (id, request, outputs) in rows {
            // A row that does not parse is still marked done, with no
            // words: it would otherwise be read again forever.
            let request: Option<GenerationRequest> = serde_json::from_str(&request).ok();
            let outputs: Vec<JobOutput> = serde_json::from_str(&outputs).unwrap_or_default();
            let (text, languages) = request.as_ref().map_or_else(Default::default, |r| {
                (
                    search::text_of(r, &outputs),
                    search::languages_of(r, &outputs),
                )
            });
            if let Some(request) = &request {
                holdings::link(db, &id, &holdings::of_job(request, &outputs)).await?;
            }
            on_db!(write db, pool => sqlx::query(
                "UPDATE jobs SET search = $1, languages = $2 WHERE id = $3",
            )
            .bind(&text)
            .bind(&languages)
            .bind(&id)
            .execute(pool)
            .await
            .map(|_| ()))?;
            done += 1;
        }
    }
}

/// Inserts `count` finished jobs for benchmarks (`chorus seed`): prompts
/// and lines in every language, statuses and models mixed, created over
/// the last 90 days. Their takes are those of the newest finished job
/// already in the database, if any (so the cards have posters), or none.
pub async fn seed(db: &Db, count: usize) -> anyhow::Result<()> {
    use futures_util::StreamExt as _;

    let takes = on_db!(db, pool => sqlx::query_scalar::<_, String>(
        "SELECT outputs FROM jobs WHERE status = 'succeeded' AND outputs <> '[]'
         ORDER BY created_at DESC LIMIT 1",
    )
    .fetch_optional(pool)
    .await)?;
    let takes: Vec<JobOutput> = takes
        .and_then(|json| serde_json::from_str(&json).ok())
        .unwrap_or_default();
    let now = crate::db::now_ms();
    let span = 90 * DAY_MS;
    let jobs = (0..count).map(|n| seeded_job(n, count, now - span, span, &takes));
    let mut inserts = futures_util::stream::iter(jobs)
        .map(|job| async move { crate::jobs::insert(db, &job).await })
        .buffer_unordered(64);
    while let Some(done) = inserts.next().await {
        done?;
    }
    Ok(())
}

fn seeded_job(n: usize, count: usize, start: i64, span: i64, takes: &[JobOutput]) -> Job {
    const SCENES: [&str; 5] = [
        "A florist arranges tulips in a sunny shop",
        "A barista pours latte art at dawn",
        "A cyclist crosses a bridge in the rain",
        "A chef plates a dessert under warm light",
        "A tailor measures a suit in a quiet studio",
    ];
    const LINES: [(Language, &str); 4] = [
        (Language::English, "Fresh every morning."),
        (Language::German, "Frische Tulpen, jeden Morgen."),
        (Language::French, "Tous les matins, des fleurs fraîches."),
        (Language::Japanese, "毎朝、新鮮です。"),
    ];
    let mut request = GenerationRequest::new(if n.is_multiple_of(7) {
        "import"
    } else {
        "draft"
    });
    request.prompt = format!("{} (take {n})", SCENES[n % SCENES.len()]);
    request.dialogue = (0..=n % 3)
        .map(|i| {
            let (language, text) = LINES[(n + i) % LINES.len()];
            chorus_core::DialogueLine::new(language, text)
        })
        .collect();
    let created_at = start + span * n as i64 / count.max(1) as i64;
    let status = if n.is_multiple_of(11) {
        JobStatus::Failed
    } else {
        JobStatus::Succeeded
    };
    Job {
        id: crate::jobs::new_job_id(),
        status,
        progress: 1.0,
        request,
        estimate: None,
        created_at,
        updated_at: created_at,
        outputs: if status == JobStatus::Succeeded {
            takes.to_vec()
        } else {
            Vec::new()
        },
        error: (status == JobStatus::Failed).then(|| "Seeded failure".to_string()),
        actual_cost_usd_micros: None,
        bytes: 0,
        deleted_at: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
            .collect()
    }

    #[test]
    fn a_full_query_parses() {
        let query = Query::parse(&pairs(&[
            ("before", "1700000000000-job_0190abc"),
            ("limit", "50"),
            ("q", "Frische  TULPEN"),
            ("status", "succeeded,failed"),
            ("language", "de"),
            ("model", "draft"),
            ("from", "2024-03-01"),
            ("to", "2024-03-01"),
        ]))
        .expect("parses");
        assert_eq!(
            query.before,
            Some(Cursor {
                created_at: 1_700_000_000_000,
                id: "job_0190abc".into()
            })
        );
        assert_eq!(query.limit, 50);
        assert_eq!(query.words, ["frische", "tulpen"]);
        assert_eq!(query.statuses, [JobStatus::Succeeded, JobStatus::Failed]);
        assert_eq!(query.languages, [Language::German]);
        assert_eq!(query.from, Some(1_709_251_200_000));
        assert_eq!(query.to, Some(1_709_251_200_000 + DAY_MS));
        assert_eq!(Query::parse(&[]).expect("none").limit, MAX_JOB_PAGE);
    }

    #[test]
    fn bad_parameters_say_which_and_why() {
        let err = |list: &[(&str, &str)]| Query::parse(&pairs(list)).expect_err("refused");
        assert!(err(&[("limit", "0")]).contains("limit=0"));
        assert!(err(&[("limit", "201")]).contains("from 1 to 200"));
        assert!(err(&[("before", "yesterday")]).contains("before=yesterday"));
        assert!(err(&[("status", "done")]).contains("status=done"));
        assert!(err(&[("language", "xx")]).contains("language=xx"));
        assert!(err(&[("from", "03/01/2024")]).contains("YYYY-MM-DD"));
        assert!(err(&[("sort", "old")]).contains("sort is not a parameter"));
        assert!(err(&[("from", "2024-03-02"), ("to", "2024-03-01")]).contains("before from="));
    }
}
