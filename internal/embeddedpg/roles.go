package embeddedpg

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"

	"github.com/lib/pq"
)

// The application's roles in an embedded cluster. The owner owns the database and its schema
// and runs the migrations; the server connects as the app role, which reads and writes rows
// and nothing else: it cannot alter a table, drop a trigger, or set session_replication_role
// (which would switch off triggers, the audit log's append-only guard among them).
const (
	OwnerRole = "casecircle_owner"
	AppRole   = "casecircle_app"
)

// URLAs is a libpq connection URL for the named database as role, over the private socket.
func (c *Cluster) URLAs(database, role string) string {
	q := url.Values{"host": {c.dir}, "user": {role}, "sslmode": {"disable"}}
	return (&url.URL{Scheme: "postgres", Path: "/" + database, RawQuery: q.Encode()}).String()
}

// PrepareDatabase makes the two roles and the named database owned by OwnerRole, taking over
// a database made by an earlier version (owned by the superuser, with its tables), and
// returns the URLs to migrate with and to serve with. Call GrantApp after migrating.
func (c *Cluster) PrepareDatabase(ctx context.Context, name string) (ownerURL, appURL string, err error) {
	admin, err := sql.Open("postgres", c.URL("postgres"))
	if err != nil {
		return "", "", err
	}
	defer admin.Close()
	for _, role := range []string{OwnerRole, AppRole} {
		if _, err := admin.ExecContext(ctx, fmt.Sprintf(`DO $$ BEGIN
			IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = %s) THEN
				CREATE ROLE %s LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION;
			END IF; END $$`, pq.QuoteLiteral(role), pq.QuoteIdentifier(role))); err != nil {
			return "", "", fmt.Errorf("creating role %s: %w", role, err)
		}
	}
	if err := c.CreateDatabase(ctx, name); err != nil {
		return "", "", err
	}
	db := pq.QuoteIdentifier(name)
	if _, err := admin.ExecContext(ctx, `ALTER DATABASE `+db+` OWNER TO `+OwnerRole+`;
		REVOKE ALL ON DATABASE `+db+` FROM PUBLIC;
		GRANT CONNECT ON DATABASE `+db+` TO `+AppRole); err != nil {
		return "", "", fmt.Errorf("handing database %s to %s: %w", name, OwnerRole, err)
	}
	inside, err := sql.Open("postgres", c.URL(name))
	if err != nil {
		return "", "", err
	}
	defer inside.Close()
	// The schema and whatever an earlier version made in it as the superuser go to the owner
	// (an identity sequence follows its table).
	if _, err := inside.ExecContext(ctx, `ALTER SCHEMA public OWNER TO `+OwnerRole+`;
		REVOKE CREATE ON SCHEMA public FROM PUBLIC;
		DO $$ DECLARE r record; BEGIN
			FOR r IN SELECT c.oid::regclass AS rel, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
			         WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm')
			           AND c.relowner <> (SELECT oid FROM pg_roles WHERE rolname = '`+OwnerRole+`')
			LOOP
				EXECUTE format('ALTER %s %s OWNER TO `+OwnerRole+`',
					CASE r.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' ELSE 'TABLE' END, r.rel);
			END LOOP;
			FOR r IN SELECT p.oid::regprocedure AS fn FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
			         LEFT JOIN pg_depend d ON d.objid = p.oid AND d.deptype = 'e'
			         WHERE n.nspname = 'public' AND d.objid IS NULL
			           AND p.proowner <> (SELECT oid FROM pg_roles WHERE rolname = '`+OwnerRole+`')
			LOOP
				EXECUTE format('ALTER FUNCTION %s OWNER TO `+OwnerRole+`', r.fn);
			END LOOP;
		END $$`); err != nil {
		return "", "", fmt.Errorf("handing the schema to %s: %w", OwnerRole, err)
	}
	return c.URLAs(name, OwnerRole), c.URLAs(name, AppRole), nil
}

// GrantApp gives the app role what the server needs on the migrated schema: rows of every
// table to read and write, but not the audit log's rows to change or delete.
func (c *Cluster) GrantApp(ctx context.Context, name string) error {
	db, err := sql.Open("postgres", c.URLAs(name, OwnerRole))
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = db.ExecContext(ctx, `GRANT USAGE ON SCHEMA public TO `+AppRole+`;
		GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO `+AppRole+`;
		GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO `+AppRole+`;
		REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM `+AppRole)
	if err != nil {
		return fmt.Errorf("granting %s its rights: %w", AppRole, err)
	}
	return nil
}
