//! The kinds of scam the checker names, each with its plain name, what to do now (in the voice of
//! the force's own alerts) and where to report it.

use super::{Channel, Verdict};

/// A kind of scam. The slugs are the API's `type` values and must not change.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum ScamKind {
    ImpersonationPoliceBank,
    FamilyFriend,
    ParcelDelivery,
    GovernmentTaxBenefit,
    FinesAndTolls,
    AccountPhishing,
    QrCode,
    InvestmentCrypto,
    Romance,
    PurchaseTicket,
    HolidayBooking,
    Pension,
    JobTask,
    DoorstepRogueTrader,
    TechSupport,
    PrizeLottery,
    Extortion,
}

impl ScamKind {
    pub const ALL: [ScamKind; 17] = [
        ScamKind::ImpersonationPoliceBank,
        ScamKind::FamilyFriend,
        ScamKind::ParcelDelivery,
        ScamKind::GovernmentTaxBenefit,
        ScamKind::FinesAndTolls,
        ScamKind::AccountPhishing,
        ScamKind::QrCode,
        ScamKind::InvestmentCrypto,
        ScamKind::Romance,
        ScamKind::PurchaseTicket,
        ScamKind::HolidayBooking,
        ScamKind::Pension,
        ScamKind::JobTask,
        ScamKind::DoorstepRogueTrader,
        ScamKind::TechSupport,
        ScamKind::PrizeLottery,
        ScamKind::Extortion,
    ];

    pub fn slug(self) -> &'static str {
        match self {
            ScamKind::ImpersonationPoliceBank => "impersonation-police-bank",
            ScamKind::FamilyFriend => "family-friend",
            ScamKind::ParcelDelivery => "parcel-delivery",
            ScamKind::GovernmentTaxBenefit => "government-tax-benefit",
            ScamKind::FinesAndTolls => "fines-and-tolls",
            ScamKind::AccountPhishing => "account-phishing",
            ScamKind::QrCode => "qr-code",
            ScamKind::InvestmentCrypto => "investment-crypto",
            ScamKind::Romance => "romance",
            ScamKind::PurchaseTicket => "purchase-ticket",
            ScamKind::HolidayBooking => "holiday-booking",
            ScamKind::Pension => "pension",
            ScamKind::JobTask => "job-task",
            ScamKind::DoorstepRogueTrader => "doorstep-rogue-trader",
            ScamKind::TechSupport => "tech-support",
            ScamKind::PrizeLottery => "prize-lottery",
            ScamKind::Extortion => "extortion",
        }
    }

    pub fn parse(slug: &str) -> Option<ScamKind> {
        ScamKind::ALL.into_iter().find(|k| k.slug() == slug.trim())
    }

    /// The name a resident knows it by.
    pub fn name(self) -> &'static str {
        match self {
            ScamKind::ImpersonationPoliceBank => "Fake police or bank caller (courier fraud)",
            ScamKind::FamilyFriend => {
                "“Hi Mum” or “Hi Dad”: a family member or friend on a new number"
            }
            ScamKind::ParcelDelivery => "Fake parcel delivery message",
            ScamKind::GovernmentTaxBenefit => "Fake government, tax or benefit message",
            ScamKind::FinesAndTolls => "Fake fine, parking charge or toll",
            ScamKind::AccountPhishing => "Fake account warning (phishing)",
            ScamKind::QrCode => "QR code scam",
            ScamKind::InvestmentCrypto => "Investment or cryptocurrency scam",
            ScamKind::Romance => "Romance scam",
            ScamKind::PurchaseTicket => "Online shopping or ticket scam",
            ScamKind::HolidayBooking => "Holiday or booking scam",
            ScamKind::Pension => "Pension scam",
            ScamKind::JobTask => "Fake job, task job or money mule recruitment",
            ScamKind::DoorstepRogueTrader => "Doorstep crime or rogue trader",
            ScamKind::TechSupport => "Fake computer support",
            ScamKind::PrizeLottery => "Prize, lottery or advance fee scam",
            ScamKind::Extortion => "Extortion or sextortion",
        }
    }

    /// What to do now about this kind of scam.
    pub fn advice(self) -> &'static [&'static str] {
        advice(Some(self), Verdict::Scam)
    }

    /// Words to find the force's own alerts about this kind in the archive's search.
    pub fn search_words(self) -> &'static str {
        match self {
            ScamKind::ImpersonationPoliceBank => "courier fraud",
            ScamKind::FamilyFriend => "Hi Mum",
            ScamKind::ParcelDelivery => "parcel delivery scam",
            ScamKind::GovernmentTaxBenefit => "HMRC scam",
            ScamKind::FinesAndTolls => "parking fine scam",
            ScamKind::AccountPhishing => "phishing",
            ScamKind::QrCode => "QR code",
            ScamKind::InvestmentCrypto => "investment fraud",
            ScamKind::Romance => "romance fraud",
            ScamKind::PurchaseTicket => "ticket fraud",
            ScamKind::HolidayBooking => "holiday fraud",
            ScamKind::Pension => "pension scam",
            ScamKind::JobTask => "job scam",
            ScamKind::DoorstepRogueTrader => "rogue trader",
            ScamKind::TechSupport => "computer software service fraud",
            ScamKind::PrizeLottery => "lottery scam",
            ScamKind::Extortion => "sextortion",
        }
    }
}

/// Someone to tell, and how.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ReportRoute {
    /// "Forward the text to 7726"
    pub who: &'static str,
    /// When and why: "free on most networks; it helps phone companies block the sender".
    pub how: &'static str,
    /// A web address or `tel:`/`mailto:` link, where there is one.
    pub link: Option<&'static str>,
}

const GENERAL_ADVICE: &[&str] = &[
    "Do not reply, click any link, open an attachment or call a number in the message.",
    "If it claims to come from an organisation you know, contact them using a number or website you already trust, such as the back of your bank card.",
    "Never give a PIN, password or one-time code to anyone who contacts you, and never move money because someone asked you to in a message or a call.",
];

/// What to do now.
pub(super) fn advice(kind: Option<ScamKind>, verdict: Verdict) -> &'static [&'static str] {
    let Some(kind) = kind else {
        return match verdict {
            Verdict::NoScamSigns => &[],
            _ => GENERAL_ADVICE,
        };
    };
    match kind {
        ScamKind::ImpersonationPoliceBank => &[
            "Hang up. The police and your bank will never ask you to move money to a “safe account”, withdraw cash, buy gold or hand your card or PIN to a courier.",
            "Call your bank on 159, or the number on the back of your card, from a different phone if you can, or wait five minutes: criminals can keep the line open.",
            "If someone is coming to collect money or your card, call 999.",
        ],
        ScamKind::FamilyFriend => &[
            "Do not send money. Call your son, daughter or friend on the number you already have for them, or ask something only they would know.",
            "Criminals pretend their phone is broken or lost so that you cannot check. A real family member will understand you checking.",
            "If you have already paid, call your bank on 159 straight away.",
        ],
        ScamKind::ParcelDelivery => &[
            "Do not click the link. Royal Mail, Evri, DPD and other couriers will not ask for a fee or your card details by text to redeliver a parcel.",
            "If you are expecting a parcel, track it on the courier's own website or app, typed in yourself.",
            "If you entered card details, call your bank on 159 now.",
        ],
        ScamKind::GovernmentTaxBenefit => &[
            "Do not click the link or reply. HMRC, DVLA, the DWP and your council will not text or email you a link to claim a refund, a payment or a rebate.",
            "Check what you are owed on GOV.UK, typed in yourself, or call the department on a number from GOV.UK.",
            "If you gave bank details, call your bank on 159.",
        ],
        ScamKind::FinesAndTolls => &[
            "Do not pay through a link in a message. Real penalty notices come by post, and you can check a charge on the council's or GOV.UK's own website.",
            "Dart Charge, ULEZ and parking penalties can all be checked on GOV.UK or Transport for London's own website, typed in yourself.",
            "If you paid or gave card details, call your bank on 159.",
        ],
        ScamKind::AccountPhishing => &[
            "Do not click the link. Sign in to the account the way you usually do, through the app or a website you type in yourself, and see whether there is really a problem.",
            "Never share a code sent to your phone, including a WhatsApp code: that is how accounts are taken over.",
            "If you entered a password, change it now and turn on 2-step verification.",
        ],
        ScamKind::QrCode => &[
            "Do not pay through a QR code stuck on a parking machine, sign or letter you did not expect. Use the operator's own app or pay at the machine.",
            "Check the web address the code opens before entering anything.",
            "If you paid, call your bank on 159.",
        ],
        ScamKind::InvestmentCrypto => &[
            "Do not invest. Genuine firms do not cold call or message you, guarantee high returns or rush you.",
            "Check the firm on the FCA's register and its warning list before parting with money.",
            "If you have paid, call your bank on 159 and report it to Report Fraud.",
        ],
        ScamKind::Romance => &[
            "Never send money, gift cards or crypto to someone you have only met online, however long you have been talking.",
            "Talk to a friend or family member about it: criminals ask you to keep it secret.",
            "If you have sent money, call your bank on 159 and report it to Report Fraud.",
        ],
        ScamKind::PurchaseTicket => &[
            "Do not pay by bank transfer to someone you do not know. Pay by credit card or a payment service that protects you.",
            "Buy tickets only from the venue, the promoter or an official reseller, and be wary of prices that are too good to be true.",
            "If you have paid, call your bank on 159.",
        ],
        ScamKind::HolidayBooking => &[
            "Do not pay by bank transfer, and do not pay a booking through a link in a message. Check the request in the booking site's own app.",
            "Book through companies that are ABTA or ATOL members, and pay by credit card.",
            "If you have paid or given card details, call your bank on 159.",
        ],
        ScamKind::Pension => &[
            "Do not agree to anything. Cold calls, texts and emails about your pension are illegal, and offers to release your pension early are scams.",
            "Check with your pension provider and MoneyHelper's free Pension Wise service before changing anything.",
            "If you have agreed to a transfer, contact your provider at once.",
        ],
        ScamKind::JobTask => &[
            "Do not pay to start a job, and do not let anyone pay money into your account for you to pass on: that is money laundering, and you can be prosecuted.",
            "Genuine jobs do not pay you to like videos, rate products or “complete tasks” on an app.",
            "If you have given bank details or received money, tell your bank on 159.",
        ],
        ScamKind::DoorstepRogueTrader => &[
            "Do not agree to work on the doorstep or pay cash. Close the door: genuine traders will leave details and wait for you to check them.",
            "Get three quotes from traders you have checked, and never go to the bank with a trader.",
            "If the person is still there or will not leave, call 999. Otherwise call 101 or the Citizens Advice consumer helpline.",
        ],
        ScamKind::TechSupport => &[
            "Hang up or close the page. Microsoft, BT and your broadband company will not call or pop up to tell you your computer has a virus.",
            "Never let someone you do not know take control of your computer, and do not sign in to your bank while they are connected.",
            "If you let them in, turn the computer off, have it checked, and call your bank on 159.",
        ],
        ScamKind::PrizeLottery => &[
            "You cannot win a prize or lottery you did not enter. Do not pay a fee or tax to release winnings or an inheritance.",
            "Do not give your bank details to collect a prize.",
            "If you have paid, call your bank on 159 and report it to Report Fraud.",
        ],
        ScamKind::Extortion => &[
            "Do not pay and do not reply. These messages are sent to many people at once; a password in the message usually comes from an old data breach.",
            "Change that password everywhere you use it and turn on 2-step verification.",
            "If someone is threatening to share images of you, you are not alone: report it to the police on 101, and under-18s can use the Report Remove service.",
        ],
    }
}

const TEXT_7726: ReportRoute = ReportRoute {
    who: "Forward the text to 7726",
    how: "Free on most networks. It helps your phone company block the sender.",
    link: None,
};
const PHISHING_EMAIL: ReportRoute = ReportRoute {
    who: "Forward the email to report@phishing.gov.uk",
    how: "The National Cyber Security Centre takes down the sites and addresses it uses.",
    link: Some("mailto:report@phishing.gov.uk"),
};
const REPORT_FRAUD: ReportRoute = ReportRoute {
    who: "Report Fraud: 0300 123 2040, or report online",
    how: "If you have lost money or given financial details.",
    link: Some("https://www.reportfraud.police.uk"),
};
const BANK_159: ReportRoute = ReportRoute {
    who: "Call 159 to reach your bank safely",
    how: "If you gave bank details or paid, or someone claiming to be your bank contacted you.",
    link: Some("tel:159"),
};
const POLICE_999: ReportRoute = ReportRoute {
    who: "Call 999",
    how: "If someone is at your door, coming to collect money, or you are in danger now.",
    link: Some("tel:999"),
};
const CITIZENS_ADVICE: ReportRoute = ReportRoute {
    who: "Citizens Advice consumer helpline: 0808 223 1133",
    how: "For rogue traders and doorstep selling; they pass it on to Trading Standards.",
    link: Some("tel:08082231133"),
};

/// Where to report, first the route that fits how it arrived.
pub(super) fn report_routes(
    kind: Option<ScamKind>,
    verdict: Verdict,
    channel: Option<Channel>,
) -> Vec<ReportRoute> {
    if verdict == Verdict::NoScamSigns && kind.is_none() {
        return vec![];
    }
    let mut routes = Vec::new();
    let doorstep =
        kind == Some(ScamKind::DoorstepRogueTrader) || channel == Some(Channel::Doorstep);
    let courier = kind == Some(ScamKind::ImpersonationPoliceBank);
    if doorstep || courier {
        routes.push(POLICE_999);
    }
    match channel {
        Some(Channel::Sms) => routes.push(TEXT_7726),
        Some(Channel::Email) => routes.push(PHISHING_EMAIL),
        None if !doorstep => {
            routes.push(TEXT_7726);
            routes.push(PHISHING_EMAIL);
        }
        _ => {}
    }
    if doorstep {
        routes.push(CITIZENS_ADVICE);
    }
    routes.push(BANK_159);
    routes.push(REPORT_FRAUD);
    routes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_a_slug_that_reads_back_and_advice() {
        for kind in ScamKind::ALL {
            assert_eq!(ScamKind::parse(kind.slug()), Some(kind));
            assert!(!advice(Some(kind), Verdict::Scam).is_empty(), "{kind:?}");
        }
    }

    #[test]
    fn a_text_is_forwarded_to_7726_and_a_visit_brings_999_first() {
        let sms = report_routes(
            Some(ScamKind::ParcelDelivery),
            Verdict::Scam,
            Some(Channel::Sms),
        );
        assert_eq!(sms[0].who, TEXT_7726.who);
        let door = report_routes(
            Some(ScamKind::DoorstepRogueTrader),
            Verdict::Scam,
            Some(Channel::Doorstep),
        );
        assert_eq!(door[0].who, POLICE_999.who);
        assert!(door.iter().any(|r| r.who == CITIZENS_ADVICE.who));
    }
}
