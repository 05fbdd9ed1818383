//! GSM channel coding (TS 45.003): convolutional code and Viterbi decoder, Fire code, parity,
//! interleaving, for xCCH and SCH blocks.
