#pragma once
/// LocalQueue: an in-process transport with the same frames as TCP, for
/// deterministic tests and simulations. Addresses are `local://<queue id>`.
/// Each loop has its own set of queues (there is no process-wide registry).
/// Bytes written are delivered through the loop's FIFO soon queue, so the
/// order of deliveries across all connections depends only on the order of
/// operations: a run on LocalQueue with an ExternalClock is bit-reproducible.
///
/// Use it through `connect_stream` / `listen_stream` with a `local://` address.
