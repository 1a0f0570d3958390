// Package lint checks the repository's Dockerfiles offline, with BuildKit's
// own Dockerfile parser and linter (hadolint cannot be installed here). It
// is its own module so the product's go.mod never sees BuildKit.
package lint
