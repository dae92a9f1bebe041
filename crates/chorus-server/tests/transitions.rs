//! The job-transition core on a server state with no engine and no worker:
//! each change lands only from a state that allows it, only the lease holder
//! records progress and outcomes, and every change is announced.

mod common;

use std::time::Duration;

use chorus_core::{GenerationRequest, JobStatus};
use chorus_server::jobs::{self, Change};
use chorus_server::leases::{self, Lease};

fn draft() -> GenerationRequest {
    serde_json::from_value(common::draft_request()).expect("a draft request")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jobs_move_through_their_states_without_any_engine() {
    let s = common::server().await;
    let mut events = s.state.events.subscribe();
    let created = jobs::create(&s.state, draft(), None)
        .await
        .expect("created");
    assert_eq!(created.status, JobStatus::Queued);
    assert_eq!(events.recv().await.expect("announced").id, created.id);
    // The worker would be woken: the permit waits for it.
    tokio::time::timeout(Duration::from_secs(1), s.state.wake.notified())
        .await
        .expect("the worker is woken");

    let id = created.id.0.as_str();
    let lease = Lease::new(Duration::from_mins(1));
    let claimed = leases::claim_next(&s.state.db, &["draft".to_string()], &lease)
        .await
        .expect("claims")
        .expect("the job");
    assert_eq!(claimed.status, JobStatus::Running);

    assert!(
        !jobs::set_progress(&s.state, id, "someone-else", 0.7)
            .await
            .expect("progress")
    );
    assert!(
        jobs::set_progress(&s.state, id, &lease.owner, 0.5)
            .await
            .expect("progress")
    );
    let moved = events.recv().await.expect("announced");
    assert!((moved.progress - 0.5).abs() < f32::EPSILON, "{moved:?}");

    let done = Change {
        progress: Some(1.0),
        ..Change::default()
    };
    let finished = jobs::finish(&s.state, id, &lease.owner, JobStatus::Succeeded, done)
        .await
        .expect("finishes")
        .expect("still the holder's");
    assert_eq!(finished.status, JobStatus::Succeeded);
    assert_eq!(
        events.recv().await.expect("announced").status,
        JobStatus::Succeeded
    );

    // A cancel after the end changes nothing and announces nothing.
    let late = jobs::transition(&s.state, id, JobStatus::Canceled, Change::default())
        .await
        .expect("updates");
    assert!(late.is_none(), "{late:?}");
    assert!(events.try_recv().is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancel_fences_the_worker_out() {
    let s = common::server().await;
    let created = jobs::create(&s.state, draft(), None)
        .await
        .expect("created");
    let id = created.id.0.as_str();
    let lease = Lease::new(Duration::from_mins(1));
    leases::claim_next(&s.state.db, &["draft".to_string()], &lease)
        .await
        .expect("claims")
        .expect("the job");

    let canceled = jobs::transition(&s.state, id, JobStatus::Canceled, Change::default())
        .await
        .expect("updates")
        .expect("a running job may be canceled");
    assert_eq!(canceled.status, JobStatus::Canceled);
    assert!(
        !jobs::set_progress(&s.state, id, &lease.owner, 0.9)
            .await
            .expect("progress")
    );
    let outcome = jobs::finish(
        &s.state,
        id,
        &lease.owner,
        JobStatus::Succeeded,
        Change::default(),
    )
    .await
    .expect("updates");
    assert!(outcome.is_none(), "{outcome:?}");
    assert_eq!(common::job(&s.state, id).await.status, JobStatus::Canceled);
}
