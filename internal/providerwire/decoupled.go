package providerwire

import (
	"context"
	"io"
	"net"
	"time"

	"github.com/hashicorp/yamux"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// SessionConfig is the yamux configuration of both sides of a decoupled
// provider's connection (registrar.proto): yamux multiplexes the
// application's Registrar calls and the daemon's Provider calls over one
// Unix socket connection. Its stream window is StreamWindow, so that, as
// over go-plugin's socket, credit and not the transport paces an
// enumeration; its keepalive notices a peer that has gone away silently.
func SessionConfig() *yamux.Config {
	c := yamux.DefaultConfig()
	c.MaxStreamWindowSize = StreamWindow
	c.KeepAliveInterval = 15 * time.Second
	c.ConnectionWriteTimeout = 30 * time.Second
	c.LogOutput = io.Discard
	return c
}

// SessionClient returns a gRPC client connection whose transport is a new
// stream of session, opened when gRPC first connects; closing it leaves the
// session open.
func SessionClient(session *yamux.Session, opts ...grpc.DialOption) (*grpc.ClientConn, error) {
	opts = append([]grpc.DialOption{
		grpc.WithTransportCredentials(insecure.NewCredentials()), // a private Unix socket, checked by SO_PEERCRED
		grpc.WithContextDialer(func(context.Context, string) (net.Conn, error) { return session.Open() }),
		grpc.WithInitialWindowSize(StreamWindow),
		grpc.WithInitialConnWindowSize(StreamWindow),
	}, opts...)
	return grpc.NewClient("passthrough:///decoupled", opts...)
}
