package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/casecircle/casecircle/server/pusher"
)

// Web push needs a VAPID key pair that stays the same (browsers subscribe to its public key).
// It comes from CASECIRCLE_VAPID_PUBLIC_KEY and CASECIRCLE_VAPID_PRIVATE_KEY (every process of a
// deployment needs the same pair), or from vapid.json in the data directory, made on first start
// (mode 0600). Without either, push is off.

const vapidFile = "vapid.json"

type vapidKeys struct {
	Public  string `json:"public"`
	Private string `json:"private"`
}

// loadVAPIDKeys returns the pair, making the file when there is none; created says so.
func loadVAPIDKeys(given vapidKeys, dataDir string) (keys vapidKeys, created bool, err error) {
	keys = given
	if keys.Public != "" || keys.Private != "" {
		if keys.Public == "" || keys.Private == "" {
			return keys, false, errors.New("set both CASECIRCLE_VAPID_PUBLIC_KEY and CASECIRCLE_VAPID_PRIVATE_KEY, or neither")
		}
		return keys, false, nil
	}
	if dataDir == "" {
		return vapidKeys{}, false, nil
	}
	path := filepath.Join(dataDir, vapidFile)
	raw, err := os.ReadFile(path)
	switch {
	case err == nil:
		if info, err := os.Stat(path); err == nil && info.Mode().Perm()&0o077 != 0 {
			return keys, false, fmt.Errorf("%s can be read by other users: chmod 600 it", path)
		}
		if err := json.Unmarshal(raw, &keys); err != nil || keys.Public == "" || keys.Private == "" {
			return keys, false, fmt.Errorf("%s is not a VAPID key pair: delete it to make a new one (browsers then subscribe again)", path)
		}
		return keys, false, nil
	case !errors.Is(err, fs.ErrNotExist):
		return keys, false, err
	}
	if keys.Private, keys.Public, err = pusher.GenerateKeys(); err != nil {
		return keys, false, err
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return keys, false, err
	}
	out, _ := json.Marshal(keys)
	if err := os.WriteFile(path, out, 0o600); err != nil {
		return keys, false, err
	}
	return keys, true, nil
}
