//! `FakeBackend`: a recording stand-in for podman in engine unit tests, compiled only
//! for tests. `call.rs` holds the typed calls it records; `backend.rs` the fake itself.

mod backend;
mod call;

pub use backend::FakeBackend;
pub use call::Call;
