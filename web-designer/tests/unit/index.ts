// The unit tests of what the screens compute without a server: how a filter is written,
// money, instants and values between inputs and the API, how a refusal is worded, and
// labels in the reader's language (a missing translation said, not hidden).
import './where.test';
import './format.test';
import './values.test';
import './problems.test';
import './labels.test';
import './designer.test';
