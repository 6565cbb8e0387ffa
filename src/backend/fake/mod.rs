//! `FakeBackend`: a recording stand-in for podman in engine unit tests, compiled only
//! for tests. `call.rs` holds the typed calls it records; `state.rs` its state and scripting;
//! `backend.rs` the `Backend` verbs over them.

mod backend;
mod call;
mod state;

pub use call::Call;
pub use state::FakeBackend;
