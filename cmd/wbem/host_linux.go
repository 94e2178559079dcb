package main

import (
	"context"

	"github.com/gowbem/gowbem/cimom"
	"github.com/gowbem/gowbem/providers/host"
)

// installHost installs the Linux host providers and their classes.
func installHost(ctx context.Context, om *cimom.ObjectManager) error {
	return host.Install(ctx, om, host.Config{})
}
