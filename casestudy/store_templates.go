package casestudy

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
)

type templateRow struct {
	ID                    int64           `db:"id"`
	CommunityID           int64           `db:"community_id"`
	Name                  string          `db:"name"`
	Description           string          `db:"description"`
	Phases                json.RawMessage `db:"phases"`
	MembersRecordLearning bool            `db:"members_record_learning"`
}

func (r templateRow) template() (Template, error) {
	t := Template{ID: r.ID, Key: customKey(r.ID), CommunityID: &r.CommunityID, Name: r.Name, Description: r.Description,
		MembersRecordLearning: r.MembersRecordLearning}
	if err := json.Unmarshal(r.Phases, &t.Phases); err != nil {
		return t, fmt.Errorf("template %d: phases: %w", r.ID, err)
	}
	return t, nil
}

func customKey(id int64) string { return "custom-" + strconv.FormatInt(id, 10) }

const templateColumns = `id, community_id, name, description, phases, members_record_learning`

func communityTemplates(ctx context.Context, q sqlx.QueryerContext, communityID int64) ([]Template, error) {
	var rows []templateRow
	if err := sqlx.SelectContext(ctx, q, &rows, `SELECT `+templateColumns+` FROM session_templates WHERE community_id = $1 ORDER BY lower(name), id`, communityID); err != nil {
		return nil, err
	}
	out := make([]Template, 0, len(rows))
	for _, r := range rows {
		t, err := r.template()
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

// templateByKey finds a built-in template or one of the community's own ("custom-<id>").
func templateByKey(ctx context.Context, q sqlx.QueryerContext, communityID int64, key string) (Template, error) {
	if t, ok := BuiltinTemplate(key); ok {
		return t, nil
	}
	id, err := strconv.ParseInt(strings.TrimPrefix(key, "custom-"), 10, 64)
	if err != nil || !strings.HasPrefix(key, "custom-") {
		return Template{}, Errorf(ENOTFOUND, "No such template.")
	}
	var r templateRow
	err = sqlx.GetContext(ctx, q, &r, `SELECT `+templateColumns+` FROM session_templates WHERE id = $1 AND community_id = $2`, id, communityID)
	if errors.Is(err, sql.ErrNoRows) {
		return Template{}, Errorf(ENOTFOUND, "No such template.")
	}
	if err != nil {
		return Template{}, err
	}
	return r.template()
}

func insertTemplate(ctx context.Context, tx *sqlx.Tx, communityID, userID int64, t Template, basedOn string, now time.Time) (int64, error) {
	phases, err := json.Marshal(t.Phases)
	if err != nil {
		return 0, err
	}
	var id int64
	err = sqlx.GetContext(ctx, tx, &id, `
		INSERT INTO session_templates (community_id, name, description, phases, members_record_learning, based_on, created_by, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, nullif($6, ''), $7, $8, $8) RETURNING id`,
		communityID, strings.TrimSpace(t.Name), t.Description, phases, t.MembersRecordLearning, basedOn, userID, now)
	return id, err
}
