//! Plain words for an alert, for a field officer reading a screen from a metre away:
//! "Likely fake base station on 939.2 MHz (ARFCN 21) — HIGH". The dashboard's headline, the
//! closing line of a headless run and `--text` logs all say it the same way.

use super::Alert;
use crate::detect::Severity;
use towerwatch_dsp::arfcn::Direction;

/// What an alert means, in words, by severity and direction.
pub fn verdict(a: &Alert) -> &'static str {
    match (a.cell.uplink, a.severity) {
        (false, Severity::High) => "Likely fake base station",
        (false, Severity::Medium) => "Suspicious cell",
        (false, Severity::Low) => "Cell worth a look",
        (false, Severity::Info) => "Note on a cell",
        (true, Severity::High) => "Likely mass-SMS transmitter (SIM box)",
        (true, Severity::Medium) => "Suspicious uplink transmitter",
        (true, Severity::Low) => "Uplink activity worth a look",
        (true, Severity::Info) => "Note on uplink activity",
    }
}

/// Where it is on the dial: `939.2 MHz (ARFCN 21)`, `uplink 894.2 MHz (ARFCN 21)`, or for an
/// LTE cell `1860.0 MHz (LTE EARFCN 1750 PCI 301)`.
pub fn place(a: &Alert) -> String {
    if let Some(id) = a.cell.lte {
        return match towerwatch_dsp::earfcn::dl_freq_hz(id.earfcn) {
            Some(f) => format!("{:.1} MHz ({id})", f / 1e6),
            None => id.to_string(),
        };
    }
    let dir = if a.cell.uplink {
        Direction::Uplink
    } else {
        Direction::Downlink
    };
    let up = if a.cell.uplink { "uplink " } else { "" };
    match a.cell.band.freq_hz(a.cell.arfcn, dir) {
        Some(f) => format!("{up}{:.1} MHz (ARFCN {})", f / 1e6, a.cell.arfcn),
        None => format!("{up}{} ARFCN {}", a.cell.band, a.cell.arfcn),
    }
}

/// The one line: `Likely fake base station on 939.2 MHz (ARFCN 21) — HIGH`.
pub fn headline(a: &Alert) -> String {
    format!(
        "{} on {} — {}",
        verdict(a),
        place(a),
        a.severity.to_string().to_uppercase()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cells::CellKey;
    use towerwatch_dsp::arfcn::Band;

    fn alert(uplink: bool, severity: Severity) -> Alert {
        let mut cell = CellKey::carrier(Band::EGsm900, 21);
        cell.uplink = uplink;
        Alert {
            kind: "alert",
            event: super::super::AlertEvent::Raised,
            id: 1,
            time_s: 1.0,
            raised_s: 1.0,
            severity,
            score: 5.0,
            cell,
            summary: String::new(),
            signatures: vec![],
            advice: String::new(),
            related: vec![],
        }
    }

    #[test]
    fn a_high_downlink_alert_reads_as_a_fake_base_station_with_its_frequency() {
        assert_eq!(
            headline(&alert(false, Severity::High)),
            "Likely fake base station on 939.2 MHz (ARFCN 21) — HIGH"
        );
        assert_eq!(
            headline(&alert(true, Severity::Medium)),
            "Suspicious uplink transmitter on uplink 894.2 MHz (ARFCN 21) — MEDIUM"
        );
        let mut a = alert(false, Severity::Medium);
        a.cell = CellKey::lte_cell(crate::cells::LteCellId {
            earfcn: 1750,
            pci: 301,
        });
        assert_eq!(
            headline(&a),
            "Suspicious cell on 1860.0 MHz (LTE EARFCN 1750 PCI 301) — MEDIUM"
        );
    }
}
