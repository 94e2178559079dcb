// Package wbem is what a Go program imports to manage systems the WMI way: the
// services of a namespace (WMI's IWbemServices) over any backend — the
// in-process object manager or a remote one — in WMI's three call modes, with
// WMI's flags, status codes and errors.
//
// The semisynchronous call is the heart of it: with
// WBEM_FLAG_RETURN_IMMEDIATELY a call returns at once with an Enumerator or a
// CallResult; the caller polls it (Next with a timeout, NextAsync, CallStatus),
// so it is never blocked longer than it chose and never flooded by results it
// did not ask for; Close cancels the rest. The synchronous and asynchronous
// modes are the same stream drained before returning, or drained into a Sink.
//
// Backends implement one small interface, Backend, and never see timeouts,
// batching, sinks or call results.
package wbem
