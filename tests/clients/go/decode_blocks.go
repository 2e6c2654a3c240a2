package main

import (
	"bufio"
	"errors"
	"io"
	"os"

	"github.com/ClickHouse/ch-go/compress"
)

// decodeBlocks reads ClickHouse compressed blocks from stdin with the reader clickhouse-go uses
// for compress=1 responses (ch-go's, which checks each block's CityHash128) and writes the
// uncompressed bytes to stdout, so a test can check blocks ShelfStream wrote.
func decodeBlocks() error {
	reader := compress.NewReader(bufio.NewReader(os.Stdin))
	_, err := io.Copy(os.Stdout, reader)
	// The reader reports the end of the body as an EOF reading the next header; a block cut
	// short ends in io.ErrUnexpectedEOF instead, which still fails.
	if errors.Is(err, io.EOF) {
		return nil
	}
	return err
}
