// Package migrations holds the numbered SQL migrations of casecircle's schema, embedded in the
// binary. Never edit a migration that has landed; add a new file instead.
package migrations

import "embed"

// FS holds every migration file, named NNNNN_description.sql for goose.
//
//go:embed *.sql
var FS embed.FS
