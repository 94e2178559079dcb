package plugin

import (
	"context"
	"errors"
	"fmt"
	"net"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/internal/providerwire"
	"github.com/hashicorp/yamux"
	"google.golang.org/grpc"
)

// ServeDecoupled makes a running program the decoupled provider name of
// namespace (registered in the repository with HostingModel "Decoupled")
// for as long as ctx lasts: it connects to the daemon's provider socket
// (wbemd --provider-socket), registers, and serves p, as Serve does, over
// that connection. The provider's classes vanish when the program ends or
// disconnects; calling ServeDecoupled again registers it again.
//
// It returns nil when ctx ends, a *cim.Error when the daemon refuses the
// registration (WBEM_E_ACCESS_DENIED: this program's account may not
// register it; WBEM_E_NOT_FOUND: no such registration; WBEM_E_ALREADY_EXISTS:
// another program holds it), and an error saying why when the daemon ends
// the registration or the connection breaks.
func ServeDecoupled(ctx context.Context, socketPath, namespace, name string, p any) error {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "unix", socketPath)
	if err != nil {
		return fmt.Errorf("connecting to the daemon's provider socket: %w", err)
	}
	session, err := yamux.Client(conn, providerwire.SessionConfig())
	if err != nil {
		conn.Close()
		return err
	}
	defer session.Close()
	srv := grpc.NewServer(serverOptions()...)
	providerwire.RegisterProviderServer(srv, newServer(map[string]any{name: p}))
	go srv.Serve(session) // the streams the daemon opens
	defer srv.Stop()
	cc, err := providerwire.SessionClient(session)
	if err != nil {
		return err
	}
	defer cc.Close()

	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := providerwire.NewRegistrarClient(cc).Register(rctx, &providerwire.RegisterRequest{
		Protocol: providerwire.Version_VERSION_1, Namespace: namespace, Provider: name})
	if err == nil {
		var first *providerwire.RegisterReply
		if first, err = stream.Recv(); err == nil {
			if werr := first.GetError(); werr != nil {
				return providerwire.DecodeError(werr, name)
			}
			// Registered: serve until ctx ends or the daemon ends it.
			var last *providerwire.RegisterReply
			last, err = stream.Recv()
			if err == nil {
				if werr := last.GetError(); werr != nil {
					return providerwire.DecodeError(werr, name)
				}
				err = errors.New("the daemon ended the registration")
			}
		}
	}
	if ctx.Err() != nil {
		return nil
	}
	return &cim.Error{Status: cim.WBEM_E_TRANSPORT_FAILURE, Provider: name,
		Description: fmt.Sprintf("provider %q of %s: the connection to the daemon (%s) failed: %v", name, namespace, socketPath, err), Err: err}
}
