// Package frontend holds the browser UI: html/template pages, CSS and ES modules. It needs no
// build step; the files are embedded in the binary as they are.
package frontend

import "embed"

// Templates holds the server-rendered pages (templates/*.html). layout.html wraps every page.
//
//go:embed templates/*.html
var Templates embed.FS

// Static holds the assets served under /static/, fingerprinted by the server.
//
//go:embed static
var Static embed.FS
