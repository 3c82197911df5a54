//! Every operation of the emulator, in-process over HTTPS with our protocol
//! client: the happy path and the service's errors. One test binary, one
//! module per concern.

mod access;
mod backup_rotation;
mod byok;
mod common;
mod connections;
mod crypto;
mod estate;
mod fidelity;
mod keys;
mod lists;
mod refusals;
mod release;
mod settings;
mod wire;
