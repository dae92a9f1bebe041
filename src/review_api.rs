//! Calls about client review: the studio's side (links, feedback, replies)
//! under `/api`, and the reviewer's side under the link's own path
//! (`/r/<token>/api/…`), which is all a review page may reach.

use chorus_core::review::{
    Comment, CreatedReviewLink, Decision, Hello, JobFeedback, NewComment, NewDecision,
    NewReviewLink, Resolve, Review, ReviewLink, ReviewLinkChange, ReviewLinks, Unlock,
};
use chorus_core::JobId;
use gloo_net::http::Request;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::api::{ApiError, get, read, send};

async fn post<T: DeserializeOwned>(path: &str, body: &impl Serialize) -> Result<T, ApiError> {
    read(send(Request::post(path), body).await?).await
}

/// A call answered with no body (204) on success.
async fn post_empty(path: &str, body: &impl Serialize) -> Result<(), ApiError> {
    let response = send(Request::post(path), body).await?;
    if response.ok() {
        return Ok(());
    }
    read::<serde_json::Value>(response).await.map(|_| ())
}

// The studio's side.

pub async fn create_link(job: &JobId, link: &NewReviewLink) -> Result<CreatedReviewLink, ApiError> {
    post(&format!("/api/jobs/{job}/reviews"), link).await
}

pub async fn links(job: &JobId) -> Result<ReviewLinks, ApiError> {
    get(&format!("/api/jobs/{job}/reviews")).await
}

pub async fn change_link(link: &str, change: &ReviewLinkChange) -> Result<ReviewLink, ApiError> {
    read(send(Request::patch(&format!("/api/reviews/{link}")), change).await?).await
}

pub async fn revoke_link(link: &str) -> Result<ReviewLink, ApiError> {
    post(&format!("/api/reviews/{link}/revoke"), &serde_json::json!({})).await
}

pub async fn feedback(job: &JobId) -> Result<JobFeedback, ApiError> {
    get(&format!("/api/jobs/{job}/feedback")).await
}

pub async fn reply(job: &JobId, comment: &NewComment) -> Result<Comment, ApiError> {
    post(&format!("/api/jobs/{job}/comments"), comment).await
}

pub async fn resolve(comment: &str, resolved: bool) -> Result<Comment, ApiError> {
    post(&format!("/api/comments/{comment}/resolve"), &Resolve { resolved }).await
}

/// Where the studio downloads a job's comments (`csv` or `edl`), for one
/// take or all.
pub fn export_href(job: &JobId, format: &str, take: Option<usize>) -> String {
    match take {
        Some(take) => format!("/api/jobs/{job}/comments.{format}?take={take}"),
        None => format!("/api/jobs/{job}/comments.{format}"),
    }
}

// The reviewer's side: everything under the link's path.

pub async fn review(token: &str) -> Result<Review, ApiError> {
    get(&format!("/r/{token}/api/review")).await
}

pub async fn unlock(token: &str, passcode: &str) -> Result<(), ApiError> {
    post_empty(
        &format!("/r/{token}/api/unlock"),
        &Unlock {
            passcode: passcode.to_string(),
        },
    )
    .await
}

pub async fn hello(token: &str, name: &str) -> Result<(), ApiError> {
    post_empty(
        &format!("/r/{token}/api/opened"),
        &Hello {
            name: name.to_string(),
        },
    )
    .await
}

pub async fn comment(token: &str, comment: &NewComment) -> Result<Comment, ApiError> {
    post(&format!("/r/{token}/api/comments"), comment).await
}

pub async fn decide(token: &str, decision: &NewDecision) -> Result<Decision, ApiError> {
    post(&format!("/r/{token}/api/decisions"), decision).await
}
