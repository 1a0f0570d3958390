package redact

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCredentialName(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		want bool
	}{
		{"DB_PASSWORD", true},
		{"PASSWORD", true},
		{"API_KEY", true},
		{"AUTH_TOKEN", true},
		{"CLIENT_SECRET", true},
		{"AWS_CREDENTIALS", true},
		{"GOOGLE_APPLICATION_CREDENTIAL", true},
		{"LDAP_PASSWD", true},
		{"DB_PWD", true},
		{"DB_PASS", true},
		{"TLS_PRIVATE_KEY", true},
		{"AWS_SECRET_ACCESS_KEY", true},
		{"AZURE_STORAGE_CONNECTION_STRING", true},
		{"dbPassword", true},
		{"apiKey", true},
		{"APIKey", true},
		{"authToken", true},
		{"client-secret", true},
		{"bearer.token", true},
		{"X-Api-Key", true},
		{"Authorization", true},
		{"GPG_PASSPHRASE", true},
		{"password1", true},
		{"REDIS_PASSWORD_2", true},
		{"KEY_2", false},
		{"SECRET_NAME", false},
		{"TOKEN_URL", false},
		{"PASSWORD_FILE", false},
		{"KEY_PATH", false},
		{"TLS_KEY_FILE", false},
		{"PWD", false}, // the shell's working directory
		{"OLDPWD", false},
		{"CACHE_KEY", false},
		{"KEY", false},
		{"BYPASS", false},
		{"PASSWORDLESS", false},
		{"TOKENIZER", false},
		{"MAX_TOKENS", false},
		{"", false},
		{"__", false},
	}
	for _, tc := range tests {
		if got := credentialName(tc.name); got != tc.want {
			t.Errorf("credentialName(%q) = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestMaskFlags(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want string
		elided   []string
	}{
		{"--password=hunter2", "--password=REDACTED", []string{"hunter2"}},
		{"-token=abc", "-token=REDACTED", []string{"abc"}},
		{"--client-secret=s3", "--client-secret=REDACTED", []string{"s3"}},
		{"--password-file=/etc/pw", "--password-file=/etc/pw", nil},
		{"--token-url=https://x", "--token-url=https://x", nil},
		{"--verbose=4", "--verbose=4", nil},
		{"--password=", "--password=", nil},
		{`--password="a b"`, `--password="REDACTED"`, []string{"a b"}},
		{"exec app --token=abc --v=2; echo --password xyz", "exec app --token=REDACTED --v=2; echo --password REDACTED", []string{"abc", "xyz"}},
		{"app --password --verbose", "app --password --verbose", nil},
		{"not-a-flag--password=x", "not-a-flag--password=x", nil},
		{"mysql -uroot '--password=p w'", "mysql -uroot '--password=REDACTED'", []string{"p w"}},
	}
	for _, tc := range tests {
		var rec recorder
		w := walker{rec: &rec}
		if got := w.maskFlags(tc.in); got != tc.want {
			t.Errorf("maskFlags(%q) = %q, want %q", tc.in, got, tc.want)
		}
		var want recorder
		for _, v := range tc.elided {
			want = append(want, "args.value "+v)
		}
		if diff := cmp.Diff(want, rec); diff != "" {
			t.Errorf("maskFlags(%q) elided (-want +got):\n%s", tc.in, diff)
		}
	}
}

func TestObjectCredentials(t *testing.T) {
	t.Parallel()
	testObjects(t, []objectTest{
		{
			name: "pod env values and args, names kept",
			in: `apiVersion: v1
kind: Pod
spec:
  initContainers:
  - name: init
    command: ["sh", "-c", "login --token=abc123 && run"]
  containers:
  - name: app
    env:
    - name: DB_PASSWORD
      value: hunter2
    - name: DB_PASSWORD_FILE
      value: /etc/db/password
    - name: SECRET_NAME
      value: db-creds
    - name: API_KEY
      valueFrom:
        secretKeyRef: {name: keys, key: api}
    - name: EMPTY_TOKEN
      value: ""
    args: ["--password", "s3cret", "--client-secret=cs", "--v=2", "--token", "--other"]
    livenessProbe:
      httpGet:
        path: /healthz
        httpHeaders:
        - name: Authorization
          value: Bearer abc.def
`,
			want: `apiVersion: v1
kind: Pod
spec:
  initContainers:
  - name: init
    command: ["sh", "-c", "login --token=REDACTED && run"]
  containers:
  - name: app
    env:
    - name: DB_PASSWORD
      value: REDACTED
    - name: DB_PASSWORD_FILE
      value: /etc/db/password
    - name: SECRET_NAME
      value: db-creds
    - name: API_KEY
      valueFrom:
        secretKeyRef: {name: keys, key: api}
    - name: EMPTY_TOKEN
      value: ""
    args: ["--password", "REDACTED", "--client-secret=REDACTED", "--v=2", "--token", "--other"]
    livenessProbe:
      httpGet:
        path: /healthz
        httpHeaders:
        - name: Authorization
          value: REDACTED
`,
			elided: []string{"args.value abc123", "args.value cs", "args.value s3cret", "env.value Bearer abc.def", "env.value hunter2"},
		},
		{
			name: "every pod template: a CronJob's job's pod",
			in: `apiVersion: batch/v1
kind: CronJob
spec:
  jobTemplate:
    spec:
      template:
        spec:
          containers:
          - name: backup
            env:
            - {name: S3_SECRET_ACCESS_KEY, value: AKIAxyz}
            - {name: S3_BUCKET, value: backups}
`,
			want: `apiVersion: batch/v1
kind: CronJob
spec:
  jobTemplate:
    spec:
      template:
        spec:
          containers:
          - name: backup
            env:
            - {name: S3_SECRET_ACCESS_KEY, value: REDACTED}
            - {name: S3_BUCKET, value: backups}
`,
			elided: []string{"env.value AKIAxyz"},
		},
		{
			name: "build strategy env and build args",
			in: `apiVersion: build.openshift.io/v1
kind: BuildConfig
spec:
  strategy:
    sourceStrategy:
      env:
      - {name: NPM_TOKEN, value: npm_abc}
    dockerStrategy:
      buildArgs:
      - {name: GITHUB_TOKEN, value: ghp_abc}
      - {name: VERSION, value: "1.0"}
`,
			want: `apiVersion: build.openshift.io/v1
kind: BuildConfig
spec:
  strategy:
    sourceStrategy:
      env:
      - {name: NPM_TOKEN, value: REDACTED}
    dockerStrategy:
      buildArgs:
      - {name: GITHUB_TOKEN, value: REDACTED}
      - {name: VERSION, value: "1.0"}
`,
			elided: []string{"env.value ghp_abc", "env.value npm_abc"},
		},
	})
}
