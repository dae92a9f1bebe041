//! Who is using the studio: `/api/me` asked once when the app starts (the
//! studio waits for the answer before showing a page, so nothing a role
//! cannot use ever flashes up), kept as a signal in context, and cleared
//! whenever a call is answered 401, which sends the person to sign in.
//! Review pages never load this: a review link has its own token.

use chorus_core::access::{Me, Need, UserView};
use chorus_core::access::Role;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::{account_api, api};

/// Where the studio stands before it can show a page.
#[derive(Debug, Clone, PartialEq)]
pub enum Phase {
    /// Asking the server who this is.
    Asking,
    /// The server could not be asked; why, in words.
    Failed(String),
    Known,
}

#[derive(Clone, Copy)]
pub struct Access {
    pub me: RwSignal<Me>,
    pub phase: RwSignal<Phase>,
}

/// What the studio is with sign-in off (a loopback address): everyone is
/// the owner, as before accounts existed.
fn open_studio() -> Me {
    Me {
        sign_in_required: false,
        user: None,
        role: Some(Role::Owner),
    }
}

fn signed_out() -> Me {
    Me {
        sign_in_required: true,
        user: None,
        role: None,
    }
}

impl Access {
    /// Provides the context, asks who this is, and from then on treats
    /// any 401 as the session ending.
    pub fn start() -> Self {
        let access = Access {
            me: RwSignal::new(signed_out()),
            phase: RwSignal::new(Phase::Asking),
        };
        provide_context(access);
        api::on_signed_out(move || access.session_ended());
        access.ask();
        access
    }

    /// Asks `/api/me` (again, after a failure).
    pub fn ask(self) {
        self.phase.set(Phase::Asking);
        spawn_local(async move {
            let answer = account_api::me().await;
            match answer {
                Ok(me) => self.me.set(me),
                // Answered 401 by a server that says nothing more.
                Err(err) if err.status() == Some(401) => self.me.set(signed_out()),
                // A server from before accounts: it has no sign-in to ask for.
                Err(err) if err.status() == Some(404) => self.me.set(open_studio()),
                Err(err) => {
                    self.phase.set(Phase::Failed(err.message()));
                    return;
                }
            }
            self.phase.set(Phase::Known);
        });
    }

    /// The server says this session is over: the studio swaps to the
    /// sign-in page, which remembers where the person was.
    pub fn session_ended(self) {
        let required = self.me.with_untracked(|m| m.sign_in_required);
        if required && self.me.with_untracked(|m| m.role.is_some()) {
            self.me.set(signed_out());
        }
    }

    /// Whether the caller may do what `need` asks (tracked).
    pub fn can(self, need: Need) -> bool {
        self.me.with(|m| m.allows(need))
    }

    /// Generate, correct, import, delete, share, make tokens.
    pub fn can_edit(self) -> bool {
        self.can(Need::Role(Role::Editor))
    }

    /// [`Access::can_edit`] as it is now, untracked: for parts built once
    /// (the studio is rebuilt when the account or its role changes).
    pub fn can_edit_now(self) -> bool {
        self.me
            .with_untracked(|m| m.allows(Need::Role(Role::Editor)))
    }

    /// Whether this server asks for sign-in at all (tracked).
    pub fn sign_in_on(self) -> bool {
        self.me.with(|m| m.sign_in_required)
    }

    pub fn role(self) -> Option<Role> {
        self.me.with(|m| m.role)
    }

    pub fn user(self) -> Option<UserView> {
        self.me.with(|m| m.user.clone())
    }
}

/// The studio's access; outside it (a component shown on its own), the
/// studio as it is with sign-in off.
pub fn use_access() -> Access {
    use_context::<Access>().unwrap_or_else(|| Access {
        me: RwSignal::new(open_studio()),
        phase: RwSignal::new(Phase::Known),
    })
}
