package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	chproto "github.com/ClickHouse/ch-go/proto"
	"github.com/ClickHouse/clickhouse-go/v2/lib/proto"
)

// decodeNative reads a Native stream from stdin with clickhouse-go's own block decoder, as it
// decodes an HTTP response for the revision it sent, and prints each row as a JSON object. The
// integration test feeds it ShelfStream's re-framed output of a query and compares the rows
// with the engine's own JSONEachRow of the same query.
func decodeNative(revision uint64) error {
	reader := chproto.NewReader(bufio.NewReader(os.Stdin))
	out := json.NewEncoder(os.Stdout)
	for blockNumber := 0; ; blockNumber++ {
		block := proto.NewBlock()
		block.ServerContext.Timezone = time.UTC
		block.ServerContext.Revision = revision
		if err := block.Decode(reader, revision); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return fmt.Errorf("block %d: %w", blockNumber, err)
		}
		names := block.ColumnsNames()
		for row := 0; row < block.Rows(); row++ {
			values := map[string]interface{}{}
			for i, column := range block.Columns {
				values[names[i]] = plain(column.Row(row, false))
			}
			if err := out.Encode(values); err != nil {
				return err
			}
		}
	}
}
