#include "scenarios/check_command.h"

#include <fmt/format.h>

#include <fstream>
#include <sstream>

#include "faultline/sim/history_formats.h"
#include "faultline/sim/linearizability_models.h"

namespace faultline::scenarios {

int run_check(const std::string& model_name, const std::string& file, std::ostream& out,
              std::ostream& err, const sim::CheckOptions& options) {
  Result<std::unique_ptr<sim::Model>> model = sim::make_model(model_name);
  if (!model) {
    err << model.error().message << "\n";
    return kCheckBadInput;
  }
  std::ifstream in(file, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in) {
    err << fmt::format("{}: cannot read the file\n", file);
    return kCheckBadInput;
  }
  const std::string content = std::move(text).str();
  Result<sim::HistoryFormat> format = sim::detect_history_format(content);
  if (!format) {
    err << fmt::format("{}: {}\n", file, format.error().message);
    return kCheckBadInput;
  }
  Result<std::vector<sim::LinOp>> ops = sim::parse_history(content);
  if (!ops) {
    err << fmt::format("{}: {}\n", file, ops.error().message);
    return kCheckBadInput;
  }
  Result<sim::CheckResult> result = sim::check_linearizable(*ops, **model, options);
  if (!result) {
    err << fmt::format("{}: {}\n", file, result.error().message);
    return kCheckBadInput;
  }
  out << fmt::format("{} ({}, {} operations, model {}): {}\n", file, sim::to_string(*format),
                     ops->size(), model_name, result->explanation);
  switch (result->verdict) {
    case sim::Verdict::kLinearizable: return kCheckLinearizable;
    case sim::Verdict::kNotLinearizable: return kCheckNotLinearizable;
    case sim::Verdict::kUnknown: return kCheckUnknown;
  }
  return kCheckUnknown;
}

}  // namespace faultline::scenarios
