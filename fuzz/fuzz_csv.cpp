// libFuzzer target: the dataset CSV reader. The same bytes go to text::parse_csv_table (in
// memory) and to text::read_table as a .csv and as a .jsonl file (the user-table readers).
#include "fuzz/fuzz_util.h"
#include "text/csv.h"
#include "text/dataset.h"

using namespace bertgrid;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes = fuzz::as_view(data, size);
  text::CsvTable table;
  if (fuzz::accepts([&] { table = text::parse_csv_table(bytes, "fuzz.csv"); })) {
    for (const auto& row : table.rows) {
      fuzz::require(row.fields.size() == table.header.size(), "every row has the header's width");
      fuzz::require(row.line >= 2, "data rows start after the header line");
    }
  }
  const text::LabelMap labels;
  for (const char* name : {"table.csv", "table.jsonl"}) {
    const std::string path = fuzz::scratch_path(name);
    fuzz::write_file(path, bytes);
    std::vector<text::Example> examples;
    if (fuzz::accepts([&] { examples = text::read_table(path, labels); })) {
      for (size_t i = 1; i < examples.size(); ++i)
        fuzz::require(examples[i - 1].file_id < examples[i].file_id, "ids sorted and unique");
      for (const auto& e : examples) fuzz::require(e.label == 0 || e.label == 1, "label mapped");
    }
  }
  return 0;
}
