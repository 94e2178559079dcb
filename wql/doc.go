// Package wql parses, prints and compiles WMI's query language.
package wql
