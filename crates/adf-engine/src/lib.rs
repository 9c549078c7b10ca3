//! Refresh, apply and destroy: executes plans against ARM through adf-arm
