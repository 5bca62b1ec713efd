// The unit tests of what the screens compute without a server: how a filter is written,
// money, instants and values between inputs and the API, and how a refusal is worded.
import './where.test';
import './format.test';
import './values.test';
import './problems.test';
