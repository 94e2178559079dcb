//go:build !linux

package main

import (
	"context"

	"github.com/gowbem/gowbem/cimom"
)

// installHost installs nothing: the host providers read Linux's /proc and
// /sys, so elsewhere the object manager serves only what its repository
// holds. (On Windows, the real WMI is reached with wbem.Connect("wmi:").)
func installHost(context.Context, *cimom.ObjectManager) error { return nil }
