// A text table with stable test ids, used by the FileDB/DataLoader, strax and Bluesky panels.
export interface TableData {
  readonly columns: readonly string[];
  readonly rows: readonly (readonly string[])[];
  readonly types?: readonly string[];
}

/**
 * A text table. Cells carry `data-testid="{testid}-cell"` with `data-row` (index in `rows`) and
 * `data-col` (column name); rows `{testid}-row`.
 */
export function TextTable({
  testid,
  table,
  onRowClick,
  selectedRow,
}: {
  testid: string;
  table: TableData;
  onRowClick?: (row: number) => void;
  selectedRow?: number;
}) {
  return (
    <div style={{ maxHeight: "24rem", overflow: "auto", margin: "0.5rem 0" }}>
      <table className="data" data-testid={testid}>
        <thead>
          <tr>
            {table.columns.map((c, i) => (
              <th key={c} title={table.types?.[i]}>
                {c}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {table.rows.map((row, r) => (
            <tr
              // biome-ignore lint/suspicious/noArrayIndexKey: rows have no identity beyond their position
              key={r}
              data-testid={`${testid}-row`}
              className={selectedRow === r ? "selected" : undefined}
              style={onRowClick ? { cursor: "pointer", background: selectedRow === r ? "#dbeafe" : undefined } : undefined}
              onClick={onRowClick ? () => onRowClick(r) : undefined}
            >
              {row.map((cell, c) => (
                <td key={table.columns[c]} data-testid={`${testid}-cell`} data-row={r} data-col={table.columns[c]}>
                  {cell}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
