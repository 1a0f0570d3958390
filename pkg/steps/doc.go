// Package steps reads a gather.d folder and runs its steps: in lexical
// order, each with a time budget, keeping going when one fails, hangs,
// panics or is killed, and recording every outcome in the manifest.
package steps
