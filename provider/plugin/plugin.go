// Package plugin makes a Go program an out-of-process provider of gowbem:
// implement the interfaces of package provider, call Serve, and register the
// executable with MOF (docs/providers.md):
//
//	func main() {
//		plugin.Serve(&itemProvider{})
//	}
//
// The daemon starts the executable when a class of the provider is first
// asked for, and talks to it over a Unix socket with gRPC (HashiCorp
// go-plugin's handshake; the service is internal/providerwire/provider.proto).
// Everything crosses the boundary as it does in-process: enumerations stream
// with backpressure (Emit blocks while the daemon's consumer is behind),
// cancellation reaches the provider's ctx, query hints, GetInstance,
// PutInstance, DeleteInstance, methods, associations, progress, and the
// extrinsic events of a provider.EventProvider (ProvideEvents runs once per
// subscription, with a ctx that ends with it).
//
// A running application can instead serve a registration with HostingModel
// "Decoupled" for as long as it runs: ServeDecoupled connects to the
// daemon's provider socket and serves over that connection.
//
// A provider process logs to standard error (the daemon logs each line under
// the provider's name); its standard output belongs to the handshake.
package plugin

import (
	"os"
	"runtime"

	"github.com/gowbem/gowbem/internal/providerwire"
	"github.com/hashicorp/go-hclog"
	goplugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
)

// Serve serves p, a provider (provider.InstanceProvider and optionally the
// other interfaces of package provider), under whatever name it is
// registered with, until the daemon stops the process. It does not return;
// run by hand, outside the daemon, it says so and exits with status 1.
func Serve(p any) { ServeProviders(map[string]any{"": p}) }

// ServeProviders serves several providers in one process (the hosting
// model SharedHost), by the names they are registered with; the name ""
// serves every other name.
func ServeProviders(providers map[string]any) {
	reserveHeap(os.Getenv, addressSpaceLimited)
	limitProcs(os.Getenv)
	goplugin.Serve(serveConfig(providers))
}

// MaxProcs is how many threads Serve and ServeProviders let run the
// provider process's Go code at once (runtime.GOMAXPROCS), unless
// GOMAXPROCS is set in the process's environment (the daemon sets none);
// 0 leaves the runtime's default, one per processor. Set it before Serve.
//
// One by default: a provider's enumeration is a pipeline of goroutines —
// the provider emitting, the sender, gRPC's writer — that hand batches to
// each other, and on one thread each hand-over is a switch between
// goroutines, where on several it wakes another thread (a futex call, and
// on a loaded machine a wait for a processor the daemon is using). With one
// thread the provider process used a quarter less processor time per
// instance and the daemon enumerated it about 10 % faster, and a warm
// enumeration's first object reached the caller as soon as with the
// runtime's threads (under 2 ms; docs/benchmarks.md, "Out-of-process
// providers"). Goroutines still run concurrently, so a provider serving
// several calls still serves them all, and blocking calls (files, sockets,
// system calls) do not hold the thread; what one thread limits is
// computation in parallel: a provider that computes its instances on
// several processors at once sets MaxProcs = 0. ServeDecoupled does not
// change it (its process is an application with its own needs).
var MaxProcs = 1

// limitProcs sets GOMAXPROCS to MaxProcs unless the environment sets it.
func limitProcs(getenv func(string) string) {
	if MaxProcs <= 0 || getenv("GOMAXPROCS") != "" {
		return
	}
	runtime.GOMAXPROCS(MaxProcs)
}

// HeapReserve is how many bytes Serve and ServeProviders set aside as a
// part of the heap the garbage collector counts but never has to scan, so
// that it collects when the heap has grown by about as much again rather
// than every 4 MiB (Go's least heap goal). A provider streams instances
// it does not keep: with the least goal its process collected every few
// milliseconds, which cost it half of its CPU (docs/benchmarks.md, "Out-of-
// process providers"). The reserve is address space the runtime maps and
// need not touch; what it costs is garbage: the heap of a provider holding
// little grows to about twice HeapReserve before a collection. Set it
// before Serve (0: none). It is not made when GOGC or GOMEMLIMIT is set in
// the process's environment (the daemon sets neither), when the process's
// address space is limited (a registration's MemoryLimit), nor by
// ServeDecoupled, whose process is an application with its own needs.
var HeapReserve = 16 << 20

// reserved holds the reserve for as long as the process runs.
var reserved []byte

// reserveHeap makes the reserve, once, unless the environment tunes the
// collector itself or the address space is limited.
func reserveHeap(getenv func(string) string, limited func() bool) {
	if reserved != nil || HeapReserve <= 0 || getenv("GOGC") != "" || getenv("GOMEMLIMIT") != "" || limited() {
		return
	}
	reserved = make([]byte, HeapReserve)
}

func serveConfig(providers map[string]any) *goplugin.ServeConfig {
	return &goplugin.ServeConfig{
		HandshakeConfig: providerwire.Handshake,
		Plugins:         providerwire.Plugins(newServer(providers)),
		GRPCServer:      grpcServer,
		Logger:          hclog.New(&hclog.LoggerOptions{Name: "provider", Output: os.Stderr, Level: hclog.Warn}),
	}
}

// grpcServer makes the gRPC server of a provider process; opts are
// go-plugin's, which it passes only to secure the connection with TLS. A
// plaintext connection (a local socket, as the daemon starts providers)
// gets a larger send buffer (sendBufferCreds).
func grpcServer(opts []grpc.ServerOption) *grpc.Server {
	if len(opts) == 0 {
		opts = append(opts, grpc.Creds(newSendBufferCreds()))
	}
	return grpc.NewServer(append(opts, serverOptions()...)...)
}

// serverOptions are those of every gRPC server serving providers: the
// limits, the windows, and the codec that sends an enumeration's batches as
// the batcher encoded them.
func serverOptions() []grpc.ServerOption {
	return []grpc.ServerOption{grpc.MaxRecvMsgSize(providerwire.MaxMessageBytes),
		grpc.InitialWindowSize(providerwire.StreamWindow), grpc.InitialConnWindowSize(providerwire.StreamWindow),
		grpc.ForceServerCodecV2(providerwire.Codec{})}
}
