package plugin_test

import (
	"context"
	"log"
	"os"
	"os/signal"

	"github.com/gowbem/gowbem/provider/plugin"
)

// A running application serves the registration "MyApp" (HostingModel
// "Decoupled") of root\cimv2 until it is interrupted; its classes vanish
// from the daemon when it ends.
func ExampleServeDecoupled() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := plugin.ServeDecoupled(ctx, "/var/lib/gowbem/provider.sock", `root\cimv2`, "MyApp", items{}); err != nil {
		log.Fatal(err) // refused, or the daemon went away: the status says which
	}
}
