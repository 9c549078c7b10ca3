//! `adfctl emulator` end to end: the real binary serving on a socket.
