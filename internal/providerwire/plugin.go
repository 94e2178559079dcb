package providerwire

import (
	"context"

	goplugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
)

// Handshake is what the daemon and a provider process agree on before they
// talk: go-plugin's magic cookie (a provider started by hand says it must be
// started by the daemon) and the version of this service.
var Handshake = goplugin.HandshakeConfig{
	ProtocolVersion:  uint(Version_VERSION_1),
	MagicCookieKey:   "GOWBEM_PROVIDER",
	MagicCookieValue: "5c1e2a4e-provider",
}

// PluginName is the name of the one go-plugin plugin a provider process
// serves: the Provider service. Which gowbem providers it holds is said by
// each request's Call.provider.
const PluginName = "provider"

// GRPCPlugin is the go-plugin plugin of the Provider service: Impl is set
// in the provider process, and the daemon's side gets a ProviderClient.
type GRPCPlugin struct {
	goplugin.NetRPCUnsupportedPlugin
	Impl ProviderServer
}

// GRPCServer implements goplugin.GRPCPlugin.
func (p *GRPCPlugin) GRPCServer(_ *goplugin.GRPCBroker, s *grpc.Server) error {
	RegisterProviderServer(s, p.Impl)
	return nil
}

// GRPCClient implements goplugin.GRPCPlugin.
func (p *GRPCPlugin) GRPCClient(_ context.Context, _ *goplugin.GRPCBroker, c *grpc.ClientConn) (any, error) {
	return NewProviderClient(c), nil
}

// Plugins is the plugin set of both sides.
func Plugins(srv ProviderServer) goplugin.PluginSet {
	return goplugin.PluginSet{PluginName: &GRPCPlugin{Impl: srv}}
}
