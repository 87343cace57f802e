package casestudy

import (
	"context"
	"sync"

	"github.com/jmoiron/sqlx"
)

// preparedStatements keeps server-side prepared statements for the message writer's hot path:
// lib/pq otherwise parses and plans every statement of every batch again, and at light load
// (a message or two a batch) planning a statement with several CTEs costs more than running it.
// database/sql prepares each on a connection once and reuses it there (Tx.Stmt).
type preparedStatements struct {
	mu    sync.Mutex
	stmts map[string]*sqlx.Stmt
}

// get returns the statement for query, preparing it on first use.
func (p *preparedStatements) get(ctx context.Context, db *sqlx.DB, query string) (*sqlx.Stmt, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if st, ok := p.stmts[query]; ok {
		return st, nil
	}
	st, err := db.PreparexContext(ctx, query)
	if err != nil {
		return nil, err
	}
	if p.stmts == nil {
		p.stmts = map[string]*sqlx.Stmt{}
	}
	p.stmts[query] = st
	return st, nil
}

// close releases every statement.
func (p *preparedStatements) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for q, st := range p.stmts {
		_ = st.Close()
		delete(p.stmts, q)
	}
}
