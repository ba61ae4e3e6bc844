//! The warning signs: phrases and patterns that scams share, each a plain sentence, a weight (how
//! much it says "scam") and the kinds it points to. Besides the signs, quieter cues (a courier's
//! name, "HMRC", "roof") only help tell the kinds apart, and the marks of a warning that
//! *describes* a scam ("we will never ask you to…", "report it to 7726") tell a police alert from
//! the scam it warns about. All patterns run as one automaton over the folded text.

use std::ops::Range;
use std::sync::LazyLock;

use regex::{Regex, RegexSet};

use super::message::Reading;
use super::ScamKind::{self, *};

/// A sign found in a message.
#[derive(Debug, Clone)]
pub(crate) struct Found {
    /// Which rule found it (stable, for tests and tuning).
    pub rule: &'static str,
    pub says: String,
    /// Byte ranges of [`Reading::text`].
    pub spans: Vec<Range<usize>>,
    /// How strongly it says "scam" (0 for a cue that only tells kinds apart).
    pub weight: f32,
    pub kinds: Vec<(ScamKind, f32)>,
    /// How many different words or phrases it matched (a cue counts each, up to three).
    pub hits: usize,
}

/// What a pattern means.
struct Rule {
    id: &'static str,
    pattern: &'static str,
    /// The sign in plain words; empty for a cue.
    says: &'static str,
    weight: f32,
    kinds: &'static [(ScamKind, f32)],
    /// Whether "never", "don't" or "will not" just before it turns it round ("we will never ask
    /// for your PIN" is advice, not a request).
    negatable: bool,
}

const fn sign(
    id: &'static str,
    pattern: &'static str,
    says: &'static str,
    weight: f32,
    kinds: &'static [(ScamKind, f32)],
) -> Rule {
    Rule {
        id,
        pattern,
        says,
        weight,
        kinds,
        negatable: true,
    }
}

const fn cue(id: &'static str, pattern: &'static str, kinds: &'static [(ScamKind, f32)]) -> Rule {
    Rule {
        id,
        pattern,
        says: "",
        weight: 0.0,
        kinds,
        negatable: false,
    }
}

/// The patterns run on [`Reading::folded`]: lower case, straight quotes, single spaces. `\b` is
/// made an ASCII word boundary when compiled, which keeps the automaton fast.
/// A gap between words is written as a count of ASCII words (`(?:[a-z0-9'£,.%:;!?()/&+-]* ){0,13}`),
/// not `.{0,80}`: a bounded gap of any character multiplies the automaton's states, and a few of
/// them made every check forty times slower.
#[rustfmt::skip]
const RULES: &[Rule] = &[
    // Fake police, bank fraud teams, couriers.
    sign("safe-account", r"\b(?:safe(?:ty)?|secure|holding|protected) (?:bank )?accounts?\b", "asks you to move money to a “safe account”", 3.0, &[(ImpersonationPoliceBank, 3.0)]),
    sign("move-money", r"\b(?:move|transfer|moving|transferring) (?:all )?(?:of )?(?:your |my |her |his |the )?(?:money|funds|savings|balance|everything)\b", "asks you to move your money", 1.5, &[(ImpersonationPoliceBank, 2.0), (InvestmentCrypto, 0.3)]),
    sign("courier-collects", r"\b(?:courier|taxi|driver|colleague|officer|someone|a man) (?:will|would|is going to|to|could|was coming to|is coming to|came to) (?:come (?:round |over |and )?(?:to )?)?(?:collect|pick up|pick it up|take) (?:it|them|(?:the |your |my |her |his )?(?:bank )?(?:cards?|cash|money|gold|envelope|valuables|jewell?ery|watch))\b|\b(?:collect|pick up|hand over|hand them to|handed over|give) (?:your |my |her |his |the )?(?:bank )?(?:cards?|cash|money|gold|jewell?ery|watch|valuables)\b|\bput (?:the |your |her |my )?(?:cards?|cash|money) in an envelope", "someone coming to collect your cash, cards or valuables", 3.0, &[(ImpersonationPoliceBank, 3.0)]),
    sign("withdraw-cash", r"\b(?:withdraw|take out|draw out|took out|withdrew|withdrawing) (?:the |some |a large amount of )?(?:£ ?[\d,]+|cash|money|\d[\d,]* (?:pounds|in cash))|\bbuy (?:gold|gold bars|bullion|a rolex|(?:an? )?(?:expensive )?watch(?:es)?|jewell?ery)\b", "asks you to withdraw cash or buy gold or valuables", 2.0, &[(ImpersonationPoliceBank, 2.5), (DoorstepRogueTrader, 0.5)]),
    sign("fake-police", r"\b(?:claim(?:ing|ed|s)? to be|said (?:he|she|they) (?:was|were)|saying (?:he|she|they) (?:was|were)|this is|i am|i'm) (?:a |an |the )?(?:police|detective|officer|dc|ds|di|pc|sergeant|inspector)\b|\b(?:fraud squad|scotland yard|warrant card|metropolitan police|met police)\b|\bhelp (?:us |the police )?with (?:an |the |our |a )?(?:investigation|enquiry|inquiry)\b|\bcorrupt (?:bank )?(?:staff|cashier|employee|member of staff|official)s?\b|\bcrime reference number\b|\bfinancial crime (?:unit|team|department)\b|\b(?:dedicated |your )?case officer\b|\bsecure your (?:funds|money|savings)\b|\battempted (?:unauthori[sz]ed )?(?:transfer|payment|transaction|withdrawal)\b|\b(?:our|the) fraud (?:team|department|unit) (?:will|is going to) (?:call|contact|ring)", "someone says they are the police or need your help with an investigation", 2.0, &[(ImpersonationPoliceBank, 3.0)]),
    sign("bank-fraud-team", r"\b(?:bank'?s?|barclays|hsbc|lloyds|natwest|santander|nationwide|halifax|monzo|starling|tsb|rbs|metro bank|co-op bank|virgin money|first direct)(?:'s)? (?:fraud|security|fraud prevention) (?:team|department|unit|services)\b|\b(?:fraud|security) (?:team|department) (?:at|from) (?:your|the) bank\b", "says it is your bank's fraud team", 1.5, &[(ImpersonationPoliceBank, 2.5), (AccountPhishing, 0.5)]),
    sign("card-compromised", r"\b(?:card|account|accounts) (?:has|had|have) been (?:cloned|compromised|hacked|used fraudulently)|\b(?:cloned|compromised) (?:card|account)|\bsomeone (?:has )?(?:tried|is trying|attempted) to (?:spend|use|take|withdraw|access)|\b(?:new payee|payment of £[\d,.]+ .{0,40}(?:requested|attempted|pending))", "says your card or account has been used by someone else", 1.5, &[(ImpersonationPoliceBank, 2.0), (AccountPhishing, 1.0)]),
    sign("call-back-number", r"\b(?:if (?:this was|it was|this wasn't|you did not|you didn't) .{0,40})?(?:call|ring|contact) (?:us|our fraud team|the fraud team|our team) (?:immediately |urgently |now )?(?:on|at) \+?\d[\d ]{8,}", "gives a phone number to call back about a payment or your account", 1.0, &[(ImpersonationPoliceBank, 1.5), (AccountPhishing, 0.5)]),

    // "Hi Mum": a child or friend on a new number.
    sign("new-number", r"\b(?:new (?:phone )?(?:number|mobile|no|phone)|changed (?:my )?(?:number|phone)|save this (?:one|number)|using this (?:one|number|phone) for now|my (?:old|other) (?:number|phone) (?:is|has)|save (?:this|my new|the new) number|delete (?:my |the )?old (?:number|one|no)|(?:got|have|on|using) a new (?:phone|mobile|sim))", "a new number claiming to be your child or someone you know", 0.5, &[(FamilyFriend, 3.0)]),
    sign("phone-broken", r"\b(?:my )?phone (?:broke|is broken|has broken|got broken|smashed|is smashed|died|is dead|fell|went in|got wet|is damaged|stopped working|isn't working|is not working|was stolen|got stolen)|\b(?:dropped|lost|broke|broken|smashed|cracked) my (?:phone|mobile)|\b(?:phone|mobile) (?:in|down) the (?:toilet|loo|bath|sink|river)|\b(?:phone )?screen (?:smashed|broke|is broken|cracked|is cracked)|\bdropped it in the (?:toilet|loo|bath|sink)", "says their phone is broken or lost, so you cannot check by calling", 1.5, &[(FamilyFriend, 3.0)]),
    sign("whatsapp-me", r"\b(?:text|message|msg|add|contact|chat to|talk to|reach) me (?:on|via) (?:whatsapp|this number|here)|\b(?:on|via) whatsapp\b", "asks you to carry on the chat on WhatsApp or on a new number", 1.0, &[(FamilyFriend, 2.0), (JobTask, 0.3), (InvestmentCrypto, 0.3)]),
    sign("hi-mum", r"\b(?:hi|hello|hey|hiya|heya) (?:mum|mam|mom|mummy|mother|dad|daddy|father|nan|nana|nanna|gran|granny|grandma|grandad|grandpa)\b", "greets you as “Mum” or “Dad” without a name", 0.5, &[(FamilyFriend, 1.5)]),
    sign("pay-for-me", r"\b(?:pay|paying|cover) (?:a |an |this |my |some |the )?(?:urgent |overdue )?(?:bills?|invoices?|rent|payment)\b.{0,60}\b(?:for me|today|pay you back|back tomorrow)|\b(?:can|could|would) (?:you|u) (?:send|transfer|lend|pay|give) (?:me |us )?(?:£|\d|money|the money|some money|cash|it to my|for)|\b(?:can|could) (?:you|u) help me (?:pay|with (?:a |the |some )?(?:bill|payment|rent|money))\b|\bi'?ll pay (?:you|it) back\b|\bpay you back\b|\bcan'?t (?:access|get into|log into|use) (?:my )?(?:online )?bank(?:ing)?\b", "asks you to pay a bill or send money for them", 1.5, &[(FamilyFriend, 2.0), (Romance, 0.5)]),

    // Parcels.
    sign("parcel-held", r"\b(?:parcel|package|delivery|shipment|item|order|consignment)s? (?:.{0,30})?(?:could not|couldn't|cannot|can't|was unable to|unable to|failed to|has not been|was not) (?:be )?(?:delivered|deliver|dispatched|be delivered)|\b(?:missed|failed|unsuccessful|attempted) (?:delivery|deliveries)\b|\bre-?deliver(?:y|ed)?\b|\breschedule (?:your |the )?delivery\b|\b(?:parcel|package|shipment|item) (?:is |has been )?(?:on hold|held|waiting|pending|awaiting|suspended|returned)|\bwe (?:missed|tried to deliver)", "says a parcel could not be delivered", 1.0, &[(ParcelDelivery, 3.0)]),
    sign("small-fee", r"\b(?:redelivery|re-delivery|delivery|shipping|customs|postage|handling|settlement|import|storage) (?:fee|charge|payment|costs?|duty)\b|\b(?:small|unpaid) (?:fee|charge|payment|shipping|postage)\b|\b(?:pay|fee of|charge of|payment of) (?:a |the )?£ ?[0-4]\.\d\d\b", "asks for a small fee to release or deliver something", 1.5, &[(ParcelDelivery, 2.0), (FinesAndTolls, 0.3)]),
    sign("confirm-address", r"\b(?:update|confirm|verify|correct|re-?enter) (?:your |the )?(?:delivery |postal |home |personal )?(?:address|details|postcode|information|info)\b|\b(?:incomplete|incorrect|invalid|wrong) (?:delivery )?address\b|\baddress (?:is |was )?(?:incomplete|incorrect|invalid)", "asks you to confirm your address or details", 1.0, &[(ParcelDelivery, 1.5), (AccountPhishing, 0.5)]),
    cue("courier-name", r"\b(?:royal ?mail|evri|hermes|dpd|dhl|parcelforce|yodel|ups|fedex|inpost|amazon logistics|post office|courier|tracking number|parcel|package)\b", &[(ParcelDelivery, 1.0)]),

    // Government, tax, benefits.
    cue("government-name", r"\b(?:hmrc|dvla|dwp|gov\.?uk|government|council tax|tax (?:refund|rebate|code|return)|rebate|winter fuel|cost of living|energy (?:bill )?(?:rebate|refund|grant|support|discount|payment)|universal credit|pension credit|national insurance|nhs|covid|vaccin\w*|tv licen[cs]\w*|ofgem|state pension|benefits?|vehicle tax|driving licen[cs]e|passport|home office|department for work)\b", &[(GovernmentTaxBenefit, 1.5)]),
    sign("money-owed-you", r"\b(?:you are|you're|you have been|you've been) (?:eligible|entitled|due|owed|approved|selected)\b|\b(?:refund|rebate|payment|grant|reimbursement|overpayment|compensation|discount)s? (?:of £[\d,.]+ )?(?:is |has been )?(?:due|waiting|pending|available|issued|approved|ready)\b|\bclaim (?:your|the|this|a) (?:tax )?(?:refund|rebate|payment|grant|money|reimbursement|compensation|discount)\b|\bunclaimed\b|\b(?:outstanding|pending|unclaimed|overdue) (?:tax )?(?:refund|rebate|payment|grant)\b|\bprocess your (?:refund|rebate|claim|payment)\b|\beligible (?:to apply|for (?:a |the )?(?:refund|rebate|payment|grant|subsidy|discount))\b", "says you are owed a refund, rebate or payment", 1.5, &[(GovernmentTaxBenefit, 2.0), (PrizeLottery, 0.5)]),

    // Fines and tolls.
    cue("fine-words", r"\b(?:penalty charge|pcn|parking (?:charge|fine|ticket|notice|violation|penalty)|toll|tolls|ulez|dart ?charge|congestion charge|speeding|fixed penalty|clean air zone|traffic (?:violation|offence)|road (?:user )?charge|number plate|vehicle registration|mersey gateway|e-?zpass|crossing charge)\b", &[(FinesAndTolls, 2.0)]),
    sign("unpaid-fine", r"\b(?:unpaid|outstanding|overdue) (?:toll|fine|charge|penalty|parking|road|balance|invoice|amount|debt)s?\b|\b(?:fine|penalty|charge) (?:will (?:be|increase|double|rise)|increases|doubles)|\bavoid (?:further |additional |extra |late |any )?(?:fees|charges|penalties|a fine|fines|late fees|prosecution|enforcement)\b", "says you owe a fine or charge that will grow if you do not pay now", 1.5, &[(FinesAndTolls, 2.0), (GovernmentTaxBenefit, 0.5)]),

    // Accounts.
    sign("account-locked", r"\b(?:account|membership|subscription|card|profile|id|service|access)s? (?:has been |is |will be |was |have been |is being |are )?(?:temporarily )?(?:suspended|locked|restricted|disabled|deactivated|on hold|limited|blocked|closed|frozen|terminated|cancell?ed|paused)\b|\b(?:unusual|suspicious|unauthori[sz]ed|unrecognised|new) (?:sign-?in|log-?in|login|activity|access|device)\b|\bverify (?:your )?(?:account|identity|details|information|payment)\b|\b(?:payment|billing) (?:has )?(?:failed|declined|was unsuccessful|was declined|problem|issue|could not be processed)|\bupdate (?:your )?(?:payment|billing|card|bank) (?:details|information|method|info)\b|\bconfirm (?:your )?(?:identity|account)\b|\bpassword (?:expires|will expire|has expired)|\bmailbox (?:is )?(?:full|storage)|\bstorage (?:is )?full\b|\b(?:page|account|profile|post) (?:has been |was )?reported\b|\bcopyright (?:infringement|violation)\b|\bwill be (?:permanently )?(?:deleted|removed|disabled|deactivated) (?:in|within)\b|\bappeal (?:here|now|this|the decision)\b", "says your account is locked or must be checked through a link", 1.5, &[(AccountPhishing, 2.5)]),
    cue("account-brand", r"\b(?:netflix|paypal|amazon|apple id|icloud|microsoft|outlook|office 365|whatsapp|instagram|facebook|ebay|disney\+?|spotify|prime|bank|barclays|hsbc|lloyds|natwest|santander|nationwide|halifax|monzo|ee|o2|vodafone|bt|sky|virgin media|british gas|octopus)\b", &[(AccountPhishing, 0.5)]),
    sign("pass-on-code", r"\b(?:6|six)[- ]digit code\b|\bsent (?:you )?(?:a |my |the )?code (?:to you )?(?:by mistake|accidentally|to your phone by mistake)|\bcode (?:by mistake|accidentally)\b|\bsend (?:it|the code|that code|me the code) (?:back|to me|over)\b|\b(?:forward|read out|read me) (?:the |that |your )?code\b", "asks you to pass on a code sent to your phone", 3.0, &[(AccountPhishing, 2.5), (FamilyFriend, 0.3)]),
    sign("asks-code", r"\b(?:send|give|tell|read|share|provide|reply with|text back|what is|what's|need|needs|needed|asked for|asks for|asked me for|asked her for|asked him for|wanted) (?:me |us |him |her |them )?(?:the |your |my |her |his |that |this |their )?(?:\w+ )?(?:code|pin|pin number|passcode|one[- ]time (?:passcode|password|code)|otp|password|passwords|security (?:code|number|details)|log-?in details)\b", "asks for a code, PIN or password", 2.0, &[(AccountPhishing, 1.0), (ImpersonationPoliceBank, 1.0)]),
    sign("asks-card", r"\b(?:enter|confirm|update|verify|provide|give|send|input|submit|re-?enter|asked for|asks for|wanted|needs|need) (?:me |us |him |her |them )?(?:your |my |her |his |their |the )?(?:full )?(?:card|bank|banking|payment|account|personal|security|login) (?:details|number|info|information)\b|\b(?:cvv|cvc|sort code and account number|long card number|card number and expiry)\b", "asks for your card or bank details", 2.0, &[(AccountPhishing, 1.0), (ImpersonationPoliceBank, 0.5), (ParcelDelivery, 0.3)]),

    // How the money is to be paid.
    sign("gift-cards", r"\b(?:gift ?cards?|itunes (?:cards?|vouchers?)|google play (?:cards?|vouchers?)|steam (?:cards?|vouchers?)|amazon (?:gift )?(?:cards?|vouchers?)|apple (?:gift )?cards?|paysafe ?cards?|(?:buy|purchase|bought) (?:some |\w+ )?vouchers|(?:scratch|redeem) (?:the |off the )?(?:card|code)s?)\b", "asks for payment by gift cards or vouchers", 2.5, &[(TechSupport, 1.0), (Romance, 1.0), (PrizeLottery, 0.5), (GovernmentTaxBenefit, 0.5), (Extortion, 0.3), (ImpersonationPoliceBank, 0.3)]),
    sign("crypto", r"\b(?:bitcoin|btc|crypto|cryptocurrency|cryptocurrencies|ethereum|eth|usdt|tether|wallet address|binance|coinbase|bitcoin atm|crypto ?wallet|blockchain|altcoin|nft)\b", "mentions payment or investment in cryptocurrency", 1.5, &[(InvestmentCrypto, 2.0), (Extortion, 1.0), (Romance, 0.5), (JobTask, 0.5)]),
    sign("bank-transfer", r"\bbank transfer\b|\bpay (?:by|via) (?:bank )?transfer\b|\b(?:transfer|send) (?:the )?(?:money|deposit|payment|balance|funds) (?:to|into) (?:my|this|the following|his|her)\b|\bfriends and family\b|\bpay (?:directly )?(?:into|to) (?:my|this|the following|his|her) (?:account|bank)\b|\bsort code\b|\bpay (?:the )?(?:deposit|balance|full amount) (?:first|upfront|up front|now|by)", "asks you to pay by bank transfer", 1.5, &[(PurchaseTicket, 1.5), (HolidayBooking, 1.5), (FamilyFriend, 0.5), (Romance, 0.5), (JobTask, 0.3)]),

    // Pressure and secrecy.
    sign("urgency", r"\bwithin (?:the next )?(?:\d+|one|two|twenty[- ]four|forty[- ]eight) (?:hours?|hrs?|days?|minutes?|mins?)\b|\b(?:24|48|12|72) ?(?:hours?|hrs?)\b|\bfinal (?:notice|reminder|warning|demand|attempt)\b|\bimmediately\b|\burgent(?:ly)?\b|\bact (?:now|fast|quickly)\b|\btoday only\b|\bright now\b|\bas soon as possible\b|\basap\b|\bexpires? (?:today|tonight|soon|in)\b|\blast chance\b|\bdon't delay\b|\btime is running out\b|\blimited (?:time|spaces?|places?|offer)\b|\bbefore midnight\b|\bdeadline\b", "pushes you to act quickly", 1.0, &[]),
    Rule { id: "secrecy", pattern: r"\b(?:don't|do not|dont|must not|mustn't|not to) (?:tell|mention|discuss|speak to|talk to|let) (?:anyone|anybody|the bank|bank staff|your bank|the staff|staff|the cashier|cashier|family|your family|them|your (?:son|daughter|kids|children|husband|wife|partner|friends)|my (?:son|daughter|husband|wife)|him|her|it)\b|\bkeep (?:this|it|the call) (?:between us|secret|a secret|to yourself|confidential|quiet)\b|\bbetween (?:you and me|us)\b|\bour (?:little )?secret\b|\b(?:do not|don't) discuss (?:this|it)(?: matter)? with\b|\btreat (?:this|it)? ?as (?:confidential|strictly confidential)\b|\bif (?:the bank|the cashier|staff|anyone|they) asks?,? (?:just )?(?:say|tell)\b|\b(?:say|tell them) (?:it'?s|it is|it was) (?:for|a) (?:building work|a holiday|a car|home improvements|a family)|\b(?:bank|staff|cashier) (?:are|is|may be) (?:involved|corrupt|in on it)", says: "tells you to keep it secret, even from your bank or family", weight: 2.0, kinds: &[(ImpersonationPoliceBank, 1.5), (Romance, 0.5), (FamilyFriend, 0.3), (InvestmentCrypto, 0.3)], negatable: false },

    // Investment.
    sign("big-returns", r"\bguaranteed (?:returns?|profits?|income|\d+%)|\b(?:\d+ ?%|double|triple|doubled|tripled) (?:returns?|profits?|interest|a (?:day|week|month)|daily|weekly|monthly|guaranteed|your money)\b|\brisk[- ]free\b|\breturns? of (?:up to )?\d|\b(?:trading|investment) (?:platform|account|bot|app|opportunity|scheme|group)\b|\bforex\b|\b(?:get rich|financial freedom|passive income)\b|\b(?:made|making|turned) £?[\d,]+k? into £?[\d,]+k?\b|\b(?:celebrity|martin lewis|elon musk|dragons'? den)\b|\b(?:account manager|broker|mentor) (?:will|who)\b|\bwithdraw (?:my |your )?(?:profits?|earnings|funds)\b", "promises returns that are too good to be true", 2.0, &[(InvestmentCrypto, 3.0), (JobTask, 0.3), (Pension, 0.3)]),

    sign("recovery", r"\brecover (?:your |the |my |her |his )?(?:lost |stolen |scammed )?(?:money|funds|crypto|bitcoin|investment|savings|losses)\b|\b(?:fund|funds|asset|crypto|money) recovery\b|\brecovery (?:agent|firm|company|service|team)\b", "offers to get back money already lost, for a fee", 2.0, &[(InvestmentCrypto, 2.5), (ImpersonationPoliceBank, 0.5)]),

    // Remote access, tech support.
    sign("remote-access", r"\b(?:anydesk|any desk|teamviewer|team viewer|quick ?support|ultraviewer|ultra viewer|logmein|supremo|rustdesk|remote (?:access|desktop|control|support|connection)|screen ?shar(?:e|ing))\b|\btake (?:control|over) (?:of )?(?:your|my|her|his|the) (?:computer|screen|pc|laptop|device|phone)|\b(?:download|install) (?:an |this |the |a )?(?:app|program|software)\b.{0,40}\b(?:so (?:i|we|they) can|to (?:fix|check|help|access))", "asks you to install an app that lets them control your computer or phone", 2.5, &[(TechSupport, 3.0), (ImpersonationPoliceBank, 0.5), (InvestmentCrypto, 0.5)]),
    sign("device-problem", r"\b(?:computer|pc|laptop|device|router|phone|iphone|ipad|mac|macbook|android|system|windows|ip address|internet connection|icloud|apple id)s? (?:has|is|have|are|got|been|was|will be)? ?(?:a |been |being )?(?:virus|viruses|infected|hacked|compromised|malware|corrupted|at risk|blocked|locked|disconnected|cut off)|\b(?:internet|broadband|wifi|wi-fi) (?:will be |is being |is going to be )?(?:cut off|disconnected|suspended|switched off)|\b(?:call|contact|ring) (?:microsoft|windows|apple|bt|virgin|talktalk) ?(?:support|technical|technicians?|helpdesk|care)|\b(?:windows|microsoft|apple|bt|norton|mcafee) (?:has )?(?:detected|blocked|support|technician|security|defender|firewall)\b|\brefund (?:for|of) (?:your )?(?:norton|mcafee|antivirus|subscription|geek squad)\b", "says your computer or internet has a problem that they will fix", 2.5, &[(TechSupport, 3.0)]),

    sign("locked-screen", r"\b(?:do not|don't) (?:close|restart|shut down|turn off|switch off) (?:this|your|the) (?:window|page|computer|browser|tab|device|pc|laptop)\b|\b(?:browser|screen|computer) (?:is |was |has been )?(?:locked|frozen)\b|\b(?:went|gone|goes) full ?screen\b|\b(?:won't|will not|wouldn't|can't|couldn't) (?:close|go away|shut)\b|\bloud (?:alarm|beeping|voice)\b", "a warning on your screen that will not close and gives a number to call", 2.0, &[(TechSupport, 3.0)]),

    // Threats and extortion.
    sign("threats", r"\barrest(?:ed)?\b|\b(?:arrest )?warrant\b|\bbailiffs?\b|\bcourt (?:action|summons|case|proceedings|order|date|fees)\b|\blegal action\b|\bprosecut(?:e|ed|ion)\b|\b(?:taken|sent|go|going) to court\b|\bcriminal (?:record|charges?|proceedings|investigation)\b|\benforcement (?:agents?|action|officers?|notice)\b|\bdebt collect(?:ors?|ion)\b|\byou will be (?:fined|charged|arrested|prosecuted|jailed)\b|\b(?:jail|prison)\b|\bdeported?\b|\blicence (?:will be |is |being )?(?:revoked|suspended|cancell?ed)\b", "threatens you with arrest, court, bailiffs or worse", 1.5, &[(GovernmentTaxBenefit, 1.0), (FinesAndTolls, 1.0), (Extortion, 0.5), (ImpersonationPoliceBank, 0.5)]),
    sign("sextortion", r"\b(?:recorded|filmed|watched|video of|videos of|recording of|footage of) you\b|\brecorded (?:our|the|my|his|her|a) (?:video )?(?:call|chat)\b|\b(?:hacked|accessed|infected|control of|access to) your (?:camera|webcam|device|computer|email|phone|accounts?|contacts)\b|\b(?:intimate|explicit|compromising|private|nude|naked|sexual|embarrassing) (?:photos?|pictures?|images?|videos?|content|material|recordings?)\b|\b(?:send|share|release|forward|leak|post|publish) (?:it|the video|them|the photos|the images|this) (?:to|with) (?:all |everyone in )?(?:your|all your) (?:contacts|friends|family|colleagues|followers)\b|\b(?:adult|porn|pornographic|xxx) (?:site|website|videos?|content)\b|\bi know (?:your|that your) password\b|\bi (?:have|know) (?:your )?(?:password|secrets)\b|\bvisit(?:ed|ing)? (?:adult|porn)", "threatens to share private images or videos of you unless you pay", 3.0, &[(Extortion, 3.5)]),

    // Prizes and advance fees.
    sign("prize", r"\byou(?: have|'ve)? (?:won|been chosen as (?:a |the |our )?winner)\b|\byou(?:'ve| have) been (?:chosen|selected|picked)!|\b(?:comment|like) and share\b|\b(?:share|comment) (?:this post )?to win\b|\bgiving (?:away|them away)\b|\bcongratulations\b|\b(?:prize|lottery|jackpot|sweepstakes?|lucky (?:winner|draw)|raffle|prize draw|grand prize|cash prize|reward)\b|\b(?:winner|winning|winnings)\b|\b(?:inheritance|beneficiary|next of kin|unclaimed (?:funds|estate)|(?:million|\d+m) (?:pounds|dollars|usd|gbp|euros))\b|\bfree (?:iphone|ipad|gift|voucher|£)|\bclaim (?:your )?(?:free )?(?:prize|reward|gift|winnings)\b|\b(?:selected|chosen) to (?:receive|win|get)\b|\bshare the (?:money|funds|inheritance)\b|\b(?:no|without) next of kin\b|\bpresent you as\b|\bwith your (?:surname|last name|family name)\b|\b(?:million|\d+m) (?:pounds|dollars|usd|gbp|euros)\b", "says you have won a prize or are owed money you did not expect", 1.5, &[(PrizeLottery, 3.0)]),
    sign("release-fee", r"\b(?:release|unlock|claim|receive|transfer|process|clear|withdraw) (?:the |your |my |these |those )?(?:funds|money|winnings|prize|payment|inheritance|compensation|loan|earnings|profits?)\b.{0,50}\b(?:fee|charge|tax|taxes|pay|deposit)\b|\b(?:admin(?:istration)?|processing|release|clearance|transfer|legal|insurance|activation|registration|verification|unlocking|withdrawal|anti-money laundering|transit|customs) (?:fee|charge|tax|cost|deposit|certificate)s?\b|\bpay (?:a )?(?:small |one-off |one off )?(?:fee|tax|charge|deposit) (?:to|before|first|in order)\b|\badvance fee\b|\bupfront (?:fee|payment)\b", "asks for a fee before you can receive money", 2.0, &[(PrizeLottery, 2.0), (JobTask, 1.0), (InvestmentCrypto, 1.0), (Romance, 0.3)]),

    // Jobs, tasks and money mules.
    sign("task-job", r"\b£ ?\d+ ?(?:-|to) ?£? ?\d+ (?:a|per) (?:day|hour|task|week)\b|\b(?:earn|make|paid|pay|salary|income|earning|making) (?:of |up to |around |from |between )?£ ?[\d,]+(?:\.\d+)?k? ?(?:\+ )?(?:-|to)? ?(?:£ ?[\d,]+ )?(?:a|per|every|each) (?:day|hour|week|task)\b|\b(?:like|liking|rate|rating|review|reviewing|boost|boosting|optimi[sz]e|optimi[sz]ing|subscribe to|follow) (?:\w+ )?(?:youtube )?(?:videos|products|hotels|apps|posts|tiktok|channels|items|orders|reviews)\b|\b(?:simple|easy|online|small) (?:tasks|job|jobs|work)\b|\bwork from (?:home|your phone)\b|\bpart[- ]time (?:job|work|position|role|opportunity)\b|\bflexible (?:hours|working)\b|\bno experience\b|\b(?:recruiter|recruitment|headhunter|hiring manager|hr (?:department|manager|team))\b|\b(?:tasks?|job|work) (?:platform|app)\b|\bcomplete (?:\d+ |the |your |daily )?(?:tasks|orders|sets)\b|\b(?:commission|salary) (?:paid|per)\b|\btop ?up (?:your )?(?:account|balance)\b|\bnegative balance\b", "offers easy money for simple online tasks", 2.0, &[(JobTask, 3.0)]),
    sign("money-mule", r"\b(?:receive|accept|use|borrow|lend|rent|take) (?:[a-z]+ ){0,2}(?:money|payments?|funds|transfers?) (?:into|through|via|in|to) (?:your|my) (?:[a-z]+ )?(?:bank )?account|\b(?:money|payments?|funds) (?:into|through|via) (?:your|my) (?:bank )?account\b|\b(?:use|borrow|rent|lend) (?:your|my) (?:bank )?(?:account|card|details)\b|\b(?:keep|earn) (?:a |some )?(?:commission|percentage|cut|share)\b|\bpass (?:it|the money|them) on\b|\bsend (?:it|the money) on\b", "asks to pass money through your bank account (money laundering)", 2.5, &[(JobTask, 3.0)]),

    // Doorstep crime.
    sign("roof-work", r"\b(?:roof|tiles?|slates?|guttering|gutters?|chimney|driveway|drive|fascias?|soffits?|pointing|tree|trees|hedge|brickwork|fence|loft|damp|insulation|boiler|flashing|ridge)\b.{0,60}\b(?:loose|broken|dangerous|slipped|damaged|missing|needs? (?:fixing|doing|work|replacing|repair|urgent)|cracked|leaking|unsafe|rot|rotten|rotting|collapse|fall off|falling|blocked)|\b(?:loose|broken|slipped|damaged|missing|cracked|dodgy) (?:roof )?(?:tiles?|slates?|guttering|gutters|ridge tiles|chimney)\b", "a trader says your house needs urgent work", 2.0, &[(DoorstepRogueTrader, 3.0)]),
    sign("working-nearby", r"\b(?:work(?:ed|ing)?|were working|doing a job|been working|had materials) (?:nearby|in the area|down the road|round the corner|on a neighbour'?s|next door|locally|in your street|up the road|on your street|on the next street)|\b(?:just|happened to be|were) passing\b|\b(?:left ?over|spare|extra) (?:tarmac|materials|paving)\b|\b(?:noticed|spotted|saw|seen) (?:your|a problem|that your|some|a few)\b.{0,40}\b(?:roof|tiles?|gutter|chimney|drive|tree)", "says they happened to be working nearby", 1.5, &[(DoorstepRogueTrader, 3.0)]),
    sign("cash-at-door", r"\bcash only\b|\b(?:pay|payment|paid) (?:in )?cash\b|\bcash (?:up ?front|today|now|in hand)\b|\b(?:drive|take|took|run|go|went|drove|offered to take) (?:you |me |her |him |them |with you )?(?:to|down to|to the) (?:the |your |my |her |his )?(?:bank|cash ?point|cash machine|post office|building society)\b|\b(?:deposit|payment) (?:today|now|up ?front) (?:for|to buy) (?:materials|the materials)\b|\bdiscount (?:if|for) (?:you )?(?:pay|book|agree)\b", "asks for cash, or offers to take you to the bank", 2.0, &[(DoorstepRogueTrader, 2.5), (ImpersonationPoliceBank, 1.0)]),
    sign("at-the-door", r"\b(?:knocked|knocks|knock|came|turned up|called round|showed up|arrived|came round) (?:at|on|to) (?:my|the|your|her|his|our|mum's|dad's) (?:door|house|home|front door)\b|\bcold[- ]?call(?:er|ers|ing)?\b|\bdoorstep\b|\b(?:man|men|woman|workm[ae]n|trader|traders|builders?|someone|two men|a man|a lad|lads|bloke|guy|person) (?:at|on|came to) (?:the|my|our) (?:door|doorstep|front door)\b|\bat the door\b|\bfrom the (?:water (?:board|company)|council|gas board|electricity board)\b", "someone came to the door without being asked", 0.7, &[(DoorstepRogueTrader, 2.0), (ImpersonationPoliceBank, 0.3)]),

    // Romance.
    sign("romance-talk", r"\b(?:my (?:love|darling|dear|sweetheart|honey|beloved|queen|king|angel|soulmate|babe)|i love you|love of my life|our future together|soul ?mate|dating (?:site|app)|met (?:him|her|them)? ?(?:online|on (?:facebook|instagram|tinder|hinge|bumble|match|plenty of fish|a dating))|(?:tinder|hinge|bumble|match\.com|plenty of fish)|(?:boyfriend|girlfriend|partner) (?:online|i met)|never (?:met|been able to meet|video called) (?:in person|face to face|him|her)|my dearest|forever yours|yours forever|get to know (?:each other|you)|lonely (?:widow|widower|man|woman|soldier)|your profile (?:picture|photo|pic)|(?:don't|do not) use this (?:app|site) (?:much|often)|continue (?:on|our chat on|chatting on) (?:whatsapp|telegram|hangouts|google chat)|(?:late husband|late wife) left)\b", "words of love from someone met online", 1.0, &[(Romance, 2.5)]),
    sign("stuck-abroad", r"\b(?:soldier|army|military|deployed|oil rig|offshore|peacekeeping|un mission|engineer (?:working )?(?:abroad|overseas|offshore)|doctor (?:working )?(?:abroad|overseas|in syria|in yemen)|contractor (?:abroad|overseas))\b|\b(?:plane|flight|air) tickets? to (?:see|visit|come|meet)\b|\b(?:customs|airport|the bank) (?:is |are )?(?:holding|won't release|will not release)|\b(?:airport|customs) says\b|\b(?:engineer|doctor|soldier|contractor|nurse|surgeon)\b.{0,30}\b(?:abroad|overseas|offshore|in (?:dubai|syria|yemen|afghanistan|iraq|turkey|ghana|nigeria|kuwait|qatar|the north sea))\b|\b(?:mother|father|mum|dad|son|daughter|sister|brother|child) (?:is )?(?:in hospital|sick|ill|dying)\b|\bstuck (?:abroad|overseas|at the airport|in (?:turkey|nigeria|ghana|dubai|malaysia))|\b(?:medical|hospital|visa|travel) (?:bills?|fees?|costs?|expenses)\b|\bcan(?:'t|not) (?:access|get to) (?:my|his|her) (?:money|funds|account)", "a story of being stuck abroad and needing money", 1.5, &[(Romance, 2.5), (FamilyFriend, 0.3)]),

    // Shopping and tickets.
    cue("ticket-words", r"\b(?:tickets?|concert|gig|festival|tour|seats?|standing|sold out|resale|marketplace|gumtree|vinted|ebay|depop|for sale|puppy|puppies|kitten|kittens|ps5|playstation|xbox|iphone|caravan|campervan|motorbike|seller|buyer|listing|advert|bargain)\b", &[(PurchaseTicket, 1.2)]),
    sign("pay-before-seeing", r"\b(?:deposit|pay|payment) (?:to (?:secure|reserve|hold)|before (?:viewing|collection|you (?:see|collect))|(?:first|upfront|up front) (?:and|then))\b|\b(?:can'?t|cannot|couldn't|could not|won't|wouldn't|would not|unable to) (?:view|see it|see him|see her|see them|meet|show)\b|\b(?:travel|pet|transport) (?:crate|insurance|vaccinations?|passport|box)\b|\bno viewings?\b|\b(?:too good to be true|half (?:the )?price|below (?:market|face) value|face value)\b|\b(?:won't|will not|doesn't|didn't|refused to) (?:use|accept|pay (?:by|through|via)) (?:paypal|card|the site)|\b(?:paypal )?friends and family\b|\b(?:courier|delivery driver) (?:will|can) (?:bring|deliver) (?:it|the|them)\b|\bblocked (?:me|us) (?:after|once)|\b(?:moving|moved|working|living|posted|stationed) abroad\b|\bshipping (?:company|agent|firm)\b|\b(?:\d+|seven|five|three)[- ]day (?:trial|inspection)\b|\b(?:car|item|puppy|kitten|caravan|vehicle|van) is (?:with|at|in storage with|being kept by) (?:a |the )?(?:shipping|courier|transport|storage|delivery)|\bnever (?:arrived|received|turned up|came)\b|\bno longer (?:responding|replying)\b", "a seller wants paying before you can see the item, outside the site's protection", 1.5, &[(PurchaseTicket, 2.5), (HolidayBooking, 0.5)]),

    sign("receive-payment-link", r"\b(?:click|use|follow|open|tap) (?:on )?(?:the |this |my |our )?link (?:below )?to (?:receive|accept|claim|get|confirm) (?:the |your |my )?(?:payment|money|funds|transfer)\b|\b(?:payment|money|funds) (?:is |are )?(?:waiting|pending|reserved) for you\b.{0,40}\blink\b|\bsecure (?:delivery|payment) (?:form|link)\b", "a buyer's link to 'receive' your payment, which takes your card details instead", 2.0, &[(PurchaseTicket, 2.5)]),

    // Holidays and bookings.
    cue("holiday-words", r"\b(?:booked|half term|for the week|a week in|abta|atol|chalet|ski|e-?tickets?|booking reference|pilgrimage|coach trip|ryanair|easyjet|jet2|tui|british airways|wizz ?air|airline|holidays?|villa|apartment|cottage|flights?|hotel|booking\.com|airbnb|caravan park|cruise|all[- ]inclusive|package holiday|travel (?:deal|agent|company)|reservation|your (?:stay|booking|trip)|check-?in|host|guest|hajj|umrah|lodge|resort|getaway)\b", &[(HolidayBooking, 1.5)]),
    sign("booking-pressure", r"\b(?:booking|reservation|stay) (?:will be |has been |is )?(?:cancell?ed|unconfirmed|not confirmed|at risk|on hold|released)\b|\b(?:confirm|verify|secure|re-?confirm|validate) (?:your |the )?(?:booking|reservation|stay|card)\b|\b(?:pay|payment|paying|book) (?:outside|off) (?:of )?(?:the )?(?:site|app|platform|booking\.com|airbnb)|\b(?:outside|off) (?:the )?(?:booking\.com|airbnb|site|platform)\b|\b(?:deal|offer|price) (?:too good|only available|if you pay)|\bbook direct(?:ly)? with the owner\b|\bavoid (?:agency|booking|service) fees\b|\b(?:dm|message|whatsapp) (?:us|me) to book\b|\bonly \d+ (?:packages|places|rooms|villas|spaces|seats|deals) left\b|\bto avoid cancell?ation\b", "a booking that you are pushed to confirm or pay outside the booking site", 1.5, &[(HolidayBooking, 2.5)]),

    // Pensions.
    sign("pension-offer", r"\bpension (?:review|release|unlock|unlocking|liberation|transfer|loophole|advance|check|reclaim)\b|\b(?:release|unlock|access|cash in|free up|take|draw) (?:your |my |her |his )?(?:pension|pension pot|retirement savings)\b|\bbefore (?:the age of |you(?:'re| are) )?55\b|\bearly (?:pension )?(?:release|access)\b|\b(?:pension|retirement) (?:pot|fund|savings|scheme)s?\b|\boverseas (?:pension|investment|property)\b|\b(?:qrops|sipp|final salary)\b|\bfree pension (?:review|check)\b|\bstore pods?\b|\bstorage pods?\b|\bcar parking (?:spaces|investment)\b|\b(?:transfer|move|moving|transferring) (?:it |my pension |your pension |his pension |her pension |the pension )?(?:to|into) (?:a |their |our |the )?'?(?:new |protected |better |safer |special )?'? ?(?:scheme|fund|sipp|plan|provider)\b|\bprovider (?:was |is |had |has )?(?:about to go|going|gone|to go) (?:bust|under|bankrupt|into administration)\b|\b(?:take|get|have) (?:all |some of )?(?:my|your|his|her) pension as (?:cash|a lump sum)\b|\b(?:release|unlock|access|free up|take|get|cash) (?:up to )?(?:\d+% |tax-free cash |cash |money |a lump sum )?(?:of |from |out of )(?:your |my |her |his |their )?(?:\w+ )?pension\b|\b(?:transfer|move|moving|transferring|persuaded to transfer) (?:your |my |his |her |their )?(?:\w+ )?pension (?:in)?to\b|\bpension (?:loophole|unlocking)\b", "offers to release, review or move your pension", 2.5, &[(Pension, 3.0)]),

    // QR codes.
    sign("qr-code", r"\bqr(?: ?codes?)?\b|\bscan (?:the |this |our )?(?:code|barcode)\b|\bscan (?:to|and) pay\b", "asks you to scan a QR code", 1.5, &[(QrCode, 7.0)]),

    // Charges you did not make, with a number to call.
    sign("charged-call-to-cancel", r"\b(?:has been|was|have been|will be) (?:charged|debited|renewed|deducted|billed|taken from your account)\b|\bauto-?renew(?:al|ed|s)?\b|\bnot you\?|\bif (?:you|this) (?:did not|didn't|was not|wasn't) (?:authori[sz]e|make|request|recogni[sz]e|you)\b|\bto cancel,? (?:please )?(?:call|ring|contact)\b|\b(?:call|ring|contact) (?:us |our |the )?(?:support|helpline|help desk|helpdesk|refund desk|billing (?:team|department)|customer (?:care|service)) (?:to cancel|on|at)\b", "says you were charged for something, and gives a number to call to cancel", 2.0, &[(TechSupport, 2.5), (AccountPhishing, 1.0), (ImpersonationPoliceBank, 0.5)]),
    sign("urgent-favour", r"\b(?:need|needs|do me) (?:a |an )?(?:quick |small |big |huge |urgent )?favou?r\b|\b(?:it's|its|it is) (?:really |very )?(?:important|urgent)\b|\bwhen (?:you|u) get this\b|\bare (?:you|u) (?:free|around|there|about)\?|\b(?:can't|cannot|can not|unable to) (?:take|make|answer) (?:calls|a call|the phone)\b|\bin a meeting\b(?:[a-z0-9'£,.%:;!?()/&+-]* ){0,6}\b(?:can't|cannot|unable)\b", "asks for an urgent favour", 1.0, &[(FamilyFriend, 1.5)]),
    sign("pay-via-link", r"\b(?:pay|payment|make (?:a )?payment|settle|complete (?:the |your )?payment)\b.{0,30}\b(?:via|through|using|at|on) (?:the |this |our )?(?:secure |following |payment |below )?(?:link|portal|page)\b", "asks you to pay through a link", 1.5, &[(HolidayBooking, 0.5), (FinesAndTolls, 0.5), (ParcelDelivery, 0.5)]),
    sign("pay-to-start", r"\b(?:buy|purchase|pay for) (?:the |a |an |your )?(?:starter|equipment|training|uniform|kit|pack|materials|software|dbs|background check|laptop|course)\b|\b(?:refunded|reimbursed|paid back) (?:in|with|from) your first (?:salary|pay|wage|payslip)\b|\bbefore you (?:can )?(?:start|begin)\b.{0,60}\b(?:pay|buy|fee|£)", "asks you to pay before you can start a job", 2.0, &[(JobTask, 3.0)]),
    sign("bogus-official", r"\b(?:no|without|didn't have|did not have|wouldn't show|would not show|had no) (?:any )?(?:id|identification|id card|badge|lanyard)\b|\b(?:had|needed|need|has|wanted) to come in(?:side)?\b|\bcheck (?:your|the|my|her|his) (?:water|taps|meter|pipes|electrics|boiler|wiring|gas supply)\b|\bwhile (?:i|she|he|we) (?:was|were) in the (?:kitchen|garden|back)\b|\b(?:a|another|second) (?:man|person|woman) (?:went|came|had gone) (?:upstairs|in|inside)\b|\bspray foam\b|\bcouncil[- ]approved\b|\bsend(?:ing)? someone round\b|\bunsellable\b", "someone claiming to be an official, or a scheme the council has not approved", 1.5, &[(DoorstepRogueTrader, 2.5)]),
    sign("activate-link", r"\breply (?:with )?(?:y|yes|1)\b.{0,40}\b(?:exit|reopen|re-open|close|activate)\b|\bto activate the link\b|\breopen this (?:message|text)\b|\bcopy (?:the|this) link into (?:your|a) browser\b", "asks you to reply so that a link starts working (a trick to get past your phone's protection)", 2.0, &[(ParcelDelivery, 0.5)]),
    sign("refer-earn", r"\brefer (?:a |your )?friends?\b.{0,30}\b(?:bonus|bonuses|earn|reward)\b|\bearn(?:ing)? (?:while|whilst) (?:you|they|i) sleep\b|\b\d[\d,]* members (?:earning|making|profiting)\b|\bt\.me/", "promises easy earnings for joining or bringing in friends", 1.5, &[(InvestmentCrypto, 2.5), (JobTask, 0.5)]),

    // Romance: what Action Fraud and UK Finance describe (met online, love declared quickly, the
    // chat moved off the site, never a video call or a meeting, then money for travel or trouble).
    sign("off-the-app", r"\b(?:talk|chat|speak|message|continue|move|carry on) (?:to me |with me )?(?:on|over|via|to) (?:telegram|whatsapp|hangouts|google chat|signal|wechat|line|kik)\b|\b(?:i )?(?:don't|do not|rarely) (?:use|come on|check) (?:this|the) (?:app|site)\b|\bsorry to message (?:randomly|you out of the blue)\b|\bi (?:saw|came across|found) your (?:profile|photo|picture)s?\b|\bwrong number\b(?:[a-z0-9'£,.%:;!?()/&+-]* ){0,13}\b(?:chat|talk|friend|lovely|nice|kind)", "a stranger who found your profile, or a 'wrong number', wants to move the chat to another app", 1.0, &[(Romance, 2.5), (InvestmentCrypto, 1.0)]),
    sign("never-met", r"\b(?:never|not yet|haven't|have not|hasn't|has not) (?:actually )?(?:met|seen) (?:him|her|them|each other)? ?(?:in person|face to face|in real life|properly)\b|\bwe(?:'ve| have) never met\b|\b(?:won't|will not|wouldn't|would not|can't|cannot|never) (?:do (?:a )?)?video ?(?:call|chat)|\b(?:camera|webcam) (?:is |was )?(?:broken|not working|doesn't work)\b|\b(?:keeps?|kept) (?:promising|saying (?:he|she)(?:'ll| will)) (?:to )?(?:visit|come|meet)\b|\bsomething always comes up\b|\btalking (?:online )?for (?:\d+|a few|several|two|three|six) (?:days|weeks|months)\b", "someone you have only met online, who never meets or video-calls", 1.5, &[(Romance, 3.0)]),
    sign("money-to-visit", r"\b(?:money|pay|paying|cash|£ ?[\d,]+) (?:for|towards) (?:(?:his|her|the|my|a|their) )?(?:flights?|plane tickets?|air ?fare|visa|travel|ticket to (?:see|visit|come)|hospital|medical|surgery|operation|customs)\b|\bso (?:she|he|they|i) (?:can|could) (?:come|visit|fly|travel) (?:to see|to meet|here|over)\b", "asks for money so they can travel to see you, or for a medical bill", 1.5, &[(Romance, 2.5), (FamilyFriend, 0.3)]),

    // Buying and selling: what Action Fraud says of purchase scams (a deposit first, no viewing,
    // the seller gone), and of scams against sellers (fake payment emails, a courier collecting).
    sign("deposit-first", r"\b(?:need|needs|needed|want|wants|wanted|would need|asked for|asking for) (?:a |the |an )?(?:£ ?[\d,]+ )?deposit (?:first|up ?front|before|to (?:hold|secure|reserve))\b|\blots of interest\b|\b(?:paid|pay|sent|transferred) (?:a |the )?£ ?[\d,]+ deposit\b|\bdeposit (?:for|on) (?:a |the )?(?:puppy|kitten|dog|car|caravan|van|tickets?|item)\b", "a seller wants a deposit before you have seen the item", 1.5, &[(PurchaseTicket, 2.5), (HolidayBooking, 0.5)]),
    sign("seller-gone", r"\b(?:not|stopped|no longer) (?:answering|responding|replying|picking up)\b|\bnumber (?:is |was |went )?(?:dead|disconnected|not recognised)\b|\b(?:deleted|removed) (?:the |her |his |their )?(?:account|profile|listing|advert|page|ad)\b|\b(?:had )?never heard of (?:it|us|him|her|them|the (?:booking|seller|company))\b|\b(?:pictures|photos|images) (?:were|was) (?:taken |copied |stolen )?from (?:a |another |the |an )|\bthe (?:company|website|site|page) (?:doesn't|does not|no longer) exists?\b|\b(?:tickets?|booking) (?:reference )?(?:never (?:came|arrived)|(?:doesn't|does not|didn't|did not) exist|(?:were|was) (?:fake|invalid|void|cancelled|already used))", "the seller or company disappeared after being paid", 1.5, &[(PurchaseTicket, 2.0), (HolidayBooking, 1.5)]),
    sign("fake-payment-email", r"\b(?:i'?ve|i have|we'?ve|already) (?:paid|sent (?:the )?(?:money|payment))\b(?:[a-z0-9'£,.%:;!?()/&+-]* ){0,10}\b(?:check your (?:email|inbox)|confirmation email)|\b(?:payment|money|funds) (?:is |are |will be )?(?:on hold|pending|held) (?:until|till) you (?:send|provide|upload|give)\b|\bsend (?:the |me the )?tracking (?:number|code|details)\b|\bmy courier will (?:collect|pick)", "a buyer says they have paid and sends a courier: a fake payment email", 2.5, &[(PurchaseTicket, 3.0)]),
    cue("listing-places", r"\bfacebook (?:ad|advert|marketplace|group|page|post)\b|\b(?:off|on|from) (?:a |an )?(?:facebook|instagram|tiktok|gumtree|marketplace|social media) (?:ad|advert|post|listing)?\b|\bsocial media\b", &[(PurchaseTicket, 0.8), (HolidayBooking, 0.5)]),

    // QR codes: NCSC and Action Fraud on "quishing" (stickers over the real code on parking
    // meters and chargers, codes in emails to get past the filters).
    sign("qr-sticker", r"\b(?:sticker|stickers|label) (?:over|on top of|covering|stuck)\b|\bstuck (?:on top|over)\b|\b(?:another|second|different|fake) qr\b|\bscanned (?:it|the code|the qr)\b|\bscan (?:it|the qr|this qr) (?:with|to|on)\b|\bcan only be (?:opened|viewed|signed) on (?:a |your )?(?:mobile|phone)\b", "a QR code that was stuck over the real one, or that you are told to scan", 1.5, &[(QrCode, 5.0)]),
    cue("qr-places", r"\b(?:parking|pay and display|pay-and-display) (?:meter|machine|sign|app)\b|\bev charg(?:er|ing point|ing station)\b|\bcharging (?:point|station|bay)\b|\b(?:menu|table) (?:qr|code)\b", &[(QrCode, 1.0)]),

    // Pensions and unregulated investments: the FCA and the Pensions Regulator's warning signs
    // (exotic overseas or physical investments, "guaranteed" returns, "not regulated").
    sign("unregulated-investment", r"\b(?:storage (?:pods?|units)|car parks?|parking spaces|hotel (?:rooms?|developments?)|student (?:accommodation|pods)|forestry|woodland|carbon credits|wine|whisky casks?|rare earth|overseas property|renewable energy bonds|care home rooms?)\b(?:[a-z0-9'£,.%:;!?()/&+-]* ){0,10}\b(?:invest\w*|returns?|income|yield|guaranteed|fixed|scheme)\b|\b(?:invest\w*|returns?|scheme)\b(?:[a-z0-9'£,.%:;!?()/&+-]* ){0,10}\b(?:storage pods?|car parks|hotel developments|forestry|carbon credits|whisky casks?|overseas property)\b|\bguaranteed (?:\d+(?:\.\d+)?%|returns?|income|profit)|\b(?:not|wasn't|isn't|never) (?:fca[- ])?(?:regulated|authori[sz]ed)\b|\b(?:hmrc|government|fca)[- ]approved\b", "an unusual investment with 'guaranteed' returns that is not regulated", 1.5, &[(Pension, 2.0), (InvestmentCrypto, 2.0)]),

    // Investment: the FCA's signs (celebrity endorsements, AI trading bots, withdrawal fees).
    sign("celebrity-bot", r"\b(?:elon(?:'s)?|musk|martin lewis|richard branson|dragons'? den|deborah meaden|peter jones|steven bartlett|holly willoughby|jeremy clarkson|ant and dec)\b(?:[a-z0-9'£,.%:;!?()/&+-]* ){0,13}\b(?:invest\w*|trading|crypto|bitcoin|bot|platform|returns?|profits?|earn|makes?)\b|\b(?:ai|automated|auto|quantum) trading (?:bot|platform|app|software|system)\b|\btrading (?:bot|robot)\b|\bon autopilot\b|\bspots? (?:closing|left|remaining)\b", "a celebrity or an 'AI trading bot' said to make you money", 2.0, &[(InvestmentCrypto, 3.0)]),
    sign("pay-to-withdraw", r"\b(?:frozen|locked|blocked|suspended) (?:till|until|unless) (?:i|you|we|he|she|they) pay\b|\b(?:security|verification|unlocking|withdrawal) (?:deposit|fee|tax|charge)\b|\bpay (?:a |the )?(?:tax|fee|deposit) (?:to|before (?:i|you) (?:can )?) ?withdraw\b|\bshowed (?:me )?(?:big |huge |great )?(?:gains|profits|returns)\b", "you must pay a fee before you can take your money out", 2.0, &[(InvestmentCrypto, 2.5), (PrizeLottery, 0.5)]),

    // Timeshare resale and exit fraud (Action Fraud): a buyer "lined up", fees first.
    sign("timeshare-resale", r"\b(?:buyer|buyers|purchaser) (?:lined up|ready|waiting|interested|found)\b|\btimeshare (?:resale|exit|release|relief|buy-?back|cancellation|compensation|claim)\b|\b(?:sell|get rid of|exit|release you from) (?:your |my |our |the )?timeshare\b", "someone offers to sell or end your timeshare for a fee first", 1.5, &[(HolidayBooking, 3.0)]),
    // Holidays (ABTA and Action Fraud): no ABTA or ATOL protection, no card payment.
    sign("no-card-protection", r"\bno (?:abta|atol)\b|\b(?:not|isn't|wasn't|no) (?:abta|atol)(?: or (?:abta|atol))?(?: protected| registered| member| number)?\b|\bcard payments? (?:are |is )?(?:temporarily )?(?:unavailable|not (?:accepted|available|working))\b|\b(?:can't|cannot|won't|couldn't|wouldn't) (?:take|accept) (?:payment|card|cards|paypal)s? (?:through|via|on|by|from)\b|\bbank transfer only\b", "no ABTA or ATOL protection, or card payment refused, so your money is not protected", 1.5, &[(HolidayBooking, 2.0), (PurchaseTicket, 1.5)]),
    // Extortion (NCSC and police): threats to publish stolen data or hurt the family unless paid.
    sign("threat-to-publish", r"\b(?:or|otherwise|unless you pay,?) (?:we|i)(?:'ll| will) (?:publish|leak|release|share|send|expose|post|sell) (?:it|them|everything|your|the|this|all)\b|\b(?:publish|leak|release|expose|sell) (?:it|them|the data|your data|the files)\b(?:[a-z0-9'£,.%:;!?()/&+-]* ){0,6}\bunless\b|\bi know (?:that )?(?:\w+ )?is your password\b|\byour password is [a-z0-9]+\b(?:[a-z0-9'£,.%:;!?()/&+-]* ){0,13}\b(?:pay|bitcoin|btc|transfer)\b|\b(?:hurt|harm|kill|find) (?:you|us|them|your (?:family|children|kids|wife|husband))\b(?:[a-z0-9'£,.%:;!?()/&+-]* ){0,6}\bunless\b|\bknew (?:where|which school) (?:our|your|my|his|her) (?:children|kids|family|daughter|son)\b|\bwe have (?:taken|stolen|downloaded|encrypted) (?:\d+ ?[gt]b|your|the|all)\b", "threatens to publish your data or hurt you unless you pay", 2.0, &[(Extortion, 3.0)]),
    // Jobs (Action Fraud job and task scams): unsolicited offers of simple work, paid daily.
    sign("unsolicited-job", r"\b(?:your )?(?:cv|profile|number) (?:has been|was) (?:selected|shortlisted|recommended|chosen)\b|\bpaid daily\b|\b(?:the )?work is (?:very )?(?:simple|easy)\b|\bno experience (?:needed|required|necessary)\b|\breply with your age\b|\b(?:boost(?:ing)?|rate|rating|review(?:ing)?) (?:app )?(?:downloads|apps|products|hotels|videos)\b|\b(?:manager|mentor|tutor) (?:will )?teach(?:es)? you\b|\bonline (?:role|job|work|position) (?:boosting|rating|reviewing|liking)\b", "an unexpected job offer for simple online tasks, paid daily", 1.5, &[(JobTask, 3.0)]),
    // Refund and tech-support calls (Action Fraud): a number to ring "for help" with a device.
    sign("call-for-help", r"\b(?:for help|for support|to fix (?:this|it)|to resolve (?:this|it)|to restore)\b(?:[a-z0-9'£,.%:;!?()/&+-]* ){0,3}\b(?:call|ring|contact|phone)\b(?:[a-z0-9'£,.%:;!?()/&+-]* ){0,6}\d{3,}|\b(?:apple ?care|apple support|microsoft support|windows support|amazon support|bt support|geek squad)\b(?:[a-z0-9'£,.%:;!?()/&+-]* ){0,5}\d{3,}", "gives a number to call for help with your device or account", 1.5, &[(TechSupport, 3.0)]),

    // Courier fraud and bank impersonation (Action Fraud, UK Finance's Take Five): automated
    // calls (used by every kind of caller, so no kind), the bank's own number shown, the line
    // kept open, a cover story for the cashier.
    sign("press-one", r"\bpress (?:1|one|2|two|9|nine)\b|\b(?:automated|recorded) (?:call|message|voice)\b", "an automated call asking you to press a key to speak to someone", 1.5, &[]),
    sign("line-open", r"\b(?:number|call) (?:on|from) the back of (?:your|my|her|his|the) (?:bank )?card\b|\b(?:keep|kept|stay|stayed|leave|left) (?:the )?(?:line|phone|call) (?:open|on)\b|\b(?:stay|stayed|keep|kept) (?:you |me |her |him )?on the (?:line|phone)\b|\b(?:don't|do not) (?:hang up|put the phone down)\b|\b(?:showed|matched|looked like|was|came up as) (?:the |my |her |his )?(?:bank'?s|police'?s) (?:own )?(?:number|phone number)\b|\bspoofed\b", "keeps you on the line, or says to check the number on your card while the call is still open", 1.5, &[(ImpersonationPoliceBank, 2.5)]),
    sign("cover-story", r"\b(?:tell|say to|told|telling) (?:the )?(?:bank|cashier|staff|branch|teller)(?: staff)? (?:that )?(?:it'?s|it is|it was|you are|you're|she was|he was) (?:for|buying|paying)\b|\b(?:if|when) (?:the )?(?:bank|cashier|staff) (?:asks?|question)\b(?:[a-z0-9'£,.%:;!?()/&+-]* ){0,6}\b(?:say|tell)\b", "tells you what to say to the bank so that staff do not stop the payment", 2.0, &[(ImpersonationPoliceBank, 3.0), (Romance, 0.5)]),
    // Fines and tolls (DVLA, Dart Charge and councils' warnings): a vehicle "recorded", a notice
    // "issued", points on your licence.
    sign("vehicle-recorded", r"\b(?:your )?(?:vehicle|car|number plate|registration) (?:was|has been|were) (?:recorded|captured|detected|seen|photographed|caught)\b|\b(?:penalty charge notice|pcn|fine|penalty|notice|charge) (?:has been |was )?issued\b|\b(?:licence|driving) points\b|\bpoints on (?:your|my|his|her) licence\b|\b(?:toll|crossing|road|congestion|ulez|dart) (?:charge |fee )?(?:is )?(?:unpaid|outstanding|due|not paid)\b", "says your vehicle was recorded and a penalty is due", 1.0, &[(FinesAndTolls, 2.5)]),
    // Recovery fraud (FCA): an offer to get back money lost to an earlier scam, for a fee.
    sign("recovery", r"\b(?:recover|get back|retrieve|reclaim) (?:your |my |her |his |the )?(?:lost |stolen )?(?:crypto|bitcoin|funds|money|investment|savings)\b.{0,60}\b(?:fee|pay|charge|upfront|deposit|%)|\b(?:fund|funds|crypto|asset) recovery\b", "offers to recover money you lost, for a fee", 2.0, &[(InvestmentCrypto, 2.5), (ImpersonationPoliceBank, 0.5)]),
    // Romance (Action Fraud): a "gift" or the partner's belongings held at customs for a fee.
    sign("gift-held", r"\b(?:sent|sending|shipped|posted) (?:you )?(?:a |my |some |the )?(?:gift|present|box of gifts|gold|savings|belongings|jewell?ery)\b(?:[a-z0-9'£,.%:;!?()/&+-]* ){0,13}\b(?:fee|customs|clearance|pay|release)\b|\b(?:package|parcel|box|suitcase|consignment) (?:with|containing|of) (?:my|our|the) (?:gold|savings|money|cash|belongings|jewell?ery|gifts?)\b", "a gift or their belongings held until you pay a fee", 1.5, &[(Romance, 3.0), (ParcelDelivery, 0.3)]),
    // Tickets (Action Fraud): spare tickets for a sold-out event, paid by transfer.
    sign("ticket-resale", r"\b(?:spare|extra|selling|two|2|four|4|a pair of) tickets? (?:for|to)\b(?:[a-z0-9'£,.%:;!?()/&+-]* ){0,13}\b(?:sold out|bank transfer|paypal friends|transfer the money|£)|\b(?:sold[- ]out|sold out) (?:show|gig|concert|festival|match|event|tour)\b|\btickets? (?:will be|are) (?:sent|emailed|transferred) (?:after|once|when) (?:you pay|payment|i receive)\b", "spare tickets for a sold-out event, to be paid for first", 1.0, &[(PurchaseTicket, 2.5)]),
    // Pensions (the Pensions Regulator): cold calls about your pension.
    sign("pension-cold-call", r"\b(?:call|calls|called|rang|phoned|contacted|message|text|email) (?:me |her |him |you |us )?(?:out of the blue |unexpectedly )?(?:about|regarding) (?:my |her |his |your |our |a )?(?:pension|retirement)", "an unexpected call about your pension", 1.5, &[(Pension, 3.0)]),

    // Words that tell the kinds apart (each different word found counts, up to three).
    cue("police-bank-words", r"\b(?:police|officer|detective|constable|fraud (?:team|department|squad|unit|investigation)|cashier|branch|courier|investigation|case (?:officer|reference|number)|financial crime|unauthori[sz]ed (?:transfer|payment|transaction)|payee|bank cards?|pin|envelope|taxi|gold bars?|bullion|money laundering|evidence|fingerprints|bank of england|fca)\b", &[(ImpersonationPoliceBank, 0.6)]),
    cue("family-words", r"\b(?:mum|mam|mom|mummy|dad|daddy|nan|nana|gran|granny|grandma|grandad|grandpa|son|daughter|sis|bro|auntie|uncle|new phone|lend|borrow|payday|pay you back|garage|broke|stuck)\b", &[(FamilyFriend, 0.6)]),
    cue("romance-words", r"\b(?:widowed|divorced|soulmate|words with friends|scrabble|babe|hun|my dear|rich together|together forever|love|loved|darling|dearest|sweetheart|baby|honey|widow|widower|lonely|dating|tinder|hinge|bumble|match\.com|soldier|army|military|oil rig|engineer|visa|hospital|future together|marry|marriage|heart|beautiful|handsome|relationship|met (?:online|on))\b", &[(Romance, 0.6)]),
    cue("pension-words", r"\b(?:pensions?|retire|retired|retirement|sipp|annuity|final salary|workplace pension|pension pot|pensions regulator|pension provider|pension scheme|defined benefit|lump sum|tax-free cash)\b", &[(Pension, 1.2)]),
    sign("pension-claim", r"\b(?:unclaimed|lost|forgotten|old|frozen|dormant) (?:workplace )?pensions?\b|\bpension (?:refund|recovery|finder|tracing|tracker|mis-?selling|claim)s?\b|\bmis-?sold (?:a |your |my )?pension\b|\bpension (?:holder|review team|advisory)\b", "offers to find or reclaim pension money for you", 1.5, &[(Pension, 3.0)]),
    sign("overpaid", r"\b(?:refund|send back|return|pay back|transfer back) (?:the |me the )?(?:£ ?[\d,.]+ )?(?:extra|difference|overpayment|excess)\b|\b(?:paid|refunded|sent|transferred) (?:you )?(?:too much|extra|the wrong amount|by mistake)\b|\baccidentally (?:refunded|sent|paid|transferred|credited)\b|\boverpa(?:id|yment)\b|\bsend the difference\b", "says they paid you too much and asks you to send the difference back", 2.5, &[(PurchaseTicket, 2.0), (TechSupport, 1.5)]),
    sign("expect-call", r"\b(?:will|is going to|are going to) (?:call|ring|phone|contact) you (?:shortly|soon|back|today|within|in the next)\b|\bdo not ignore (?:this|the|our) call\b|\bexpect a call\b", "says someone will call you about it: the call is the scam", 1.0, &[(ImpersonationPoliceBank, 2.0)]),
    sign("wire-service", r"\b(?:western union|moneygram|money gram|ria money|worldremit|world remit)\b", "asks for money by Western Union or MoneyGram, which cannot be got back", 2.0, &[(Romance, 1.5), (PrizeLottery, 1.0), (JobTask, 0.5)]),
    cue("timeshare", r"\btimeshares?\b|\bholiday club\b|\bvacation club\b", &[(HolidayBooking, 2.5)]),
    cue("security-software", r"\b(?:norton|mcafee|avast|avg|kaspersky|geek squad|bitdefender|malwarebytes|windows defender)\b", &[(TechSupport, 2.0)]),
    cue("romance-places", r"\b(?:in|from|to) (?:ghana|nigeria|turkey|dubai|malaysia|syria|yemen|afghanistan|iraq|the philippines|kuwait|qatar|an oil rig|the north sea)\b", &[(Romance, 1.0)]),
    cue("job-words", r"\b(?:job|jobs|role|position|vacancy|vacancies|recruit\w*|hiring|hire|salary|candidate|applicant|interview|employer|employment|commission|tasks?|shift|part-time|cv|wages|payroll|mystery shopper|agent|reship|remote work|working from home|work from home|onboarding|training fee|dbs check|uniform|start date)\b", &[(JobTask, 0.6)]),
    cue("investment-words", r"\b(?:invest|investing|investment|investments|investor|investors|trading|trader|traders|crypto|bitcoin|shares|stocks?|ipo|returns|profit|profits|portfolio|broker|fund|funds|bonds?|forex|yield|dividends?|telegram|account manager|mentor|coins?|wallet|exchange|pre-ipo|allocation|opportunity)\b", &[(InvestmentCrypto, 0.6)]),
    cue("doorstep-words", r"\b(?:door|knocked|knock|doorstep|roof|roofer|gutters?|guttering|driveway|drive|tarmac|fascias?|soffits?|tree|garden|builder|builders|trader|traders|van|ladder|quote|workmen|leak|water board|meter|electricity board|gas board|insulation|loft|damp|pointing|patio|paving|fence|chimney|tiles|render|jet ?wash|pressure wash|cold caller|came round|materials)\b", &[(DoorstepRogueTrader, 0.6)]),
    cue("tech-words", r"\b(?:computer|laptop|pc|windows|microsoft|router|broadband|internet|wifi|virus|viruses|malware|spyware|trojan|hacked|hackers|ip address|technician|technical support|tech support|anydesk|teamviewer|pop-?up|software|norton|mcafee|antivirus|screen|browser|install|bt|talktalk|sky broadband|support desk|helpdesk|refund desk|renewal|auto-renewal|licence expired|firewall|defender)\b", &[(TechSupport, 0.6)]),
    cue("prize-words", r"\b(?:won|win|winner|prize|lottery|draw|congratulations|reward|selected|lucky|million|inheritance|beneficiary|next of kin|barrister|lawyer|deceased|late husband|late father|unclaimed|sweepstake|jackpot|loan approved|claims manager|compensation)\b", &[(PrizeLottery, 0.6)]),
    cue("extortion-words", r"\b(?:video|webcam|camera|recorded|recording|photos|pictures|nudes?|images|contacts|followers|friends list|expose|embarrass\w*|hitman|kill|hurt|kidnap\w*|threat\w*|blackmail|sextortion|undressed|intimate|explicit|screenshots|bitcoin)\b", &[(Extortion, 0.6)]),
    cue("account-words", r"\b(?:account|password|log ?in|sign ?in|verify|verification|security|suspended|locked|subscription|billing|payment method|apple id|icloud|storage|mailbox|email account|2-step|two-step|6-digit code|code)\b", &[(AccountPhishing, 0.5)]),
    cue("parcel-words", r"\b(?:parcel|package|delivery|deliver|delivered|redelivery|courier|tracking|shipment|postcode|address|depot|dispatch\w*|customs)\b", &[(ParcelDelivery, 0.5)]),
    cue("fine-words-more", r"\b(?:fine|fines|penalty|parking|clamp|clamped|clamping|towed|toll|charge|pcn|ulez|vehicle|licence plate|number plate|dvsa|speeding|camera|motorway|bridge|crossing|congestion|car park|ringgo|paybyphone|justpark)\b", &[(FinesAndTolls, 0.5)]),
    cue("government-words-more", r"\b(?:hmrc|dvla|dwp|gov|government|council|tax|refund|rebate|benefit|benefits|universal credit|winter|heating|energy|subsidy|grant|nhs|national insurance|state pension|pension credit|cost of living|tv licen[cs]e|vehicle tax|passport|visa|home office|ofgem)\b", &[(GovernmentTaxBenefit, 0.5)]),
    cue("holiday-words-more", r"\b(?:holiday|holidays|villa|cottage|chalet|flight|flights|hotel|booking|airbnb|caravan|cruise|travel|trip|timeshare|resort|apartment|hajj|umrah|package|stay|guests?|host|check-in|tour operator|abta|atol)\b", &[(HolidayBooking, 0.5)]),
    cue("purchase-words-more", r"\b(?:selling|seller|sell|sale|buy|bought|buyer|ticket|tickets|marketplace|gumtree|ebay|vinted|depop|facebook|listing|advert|item|puppy|puppies|kitten|dog|car|van|caravan|console|ps5|iphone|sofa|bike|deposit|collection|shop|outlet|discount|% off|sale)\b", &[(PurchaseTicket, 0.5)]),
    cue("qr-words", r"\b(?:qr|scan|scanned|sticker|stickers|parking meter|pay and display|ringgo|paybyphone|barcode)\b", &[(QrCode, 0.8)]),
    sign("demand-or-else", r"\bpay (?:me |us |them )?(?:£ ?[\d,]+|\$ ?[\d,]+|the money|now|up|in bitcoin)?,? ?(?:or|unless|otherwise)\b|\b(?:or|otherwise) (?:everyone|your (?:family|friends|wife|husband|partner|boss|colleagues|contacts|school|mum|dad)|they|it|the video|the photos|the pictures) (?:will )?(?:sees?|find out|know|goes?|go|get sent|be sent|be posted|be shared)\b|\bunless (?:you|he|she|they|i|we) (?:pay|pays|send|sends)\b|\b(?:have|got) your (?:photos|pictures|nudes|video|videos|images)\b|\b(?:go|be sent|get sent|send them|send it) to (?:everyone|all|every one) (?:in |of )?(?:your|his|her) (?:contacts|friends|family|followers)", "demands money with a threat", 2.5, &[(Extortion, 3.0)]),
    sign("money-ask", r"\b(?:send|transfer|lend|give|pay|wire) (?:me|us|him|her|them) (?:£ ?[\d,]+|the money|some money|money|the cash|cash|a few hundred|a loan)\b|\b(?:lend|borrow|send) (?:me )?(?:£ ?[\d,]+|some money|money)\b|\b(?:can|could|would) you (?:help me out|help me with (?:a |some |the )?(?:money|payment|bill|rent))\b|\b(?:account|bank) details (?:below|are|to follow|attached)\b", "asks you to send money", 1.0, &[(FamilyFriend, 1.0), (Romance, 0.5)]),

    // Links.
    sign("click-link", r"\b(?:click|tap|press|follow|open|visit|use) (?:on )?(?:the |this |our |my )?(?:link|here|below|button)\b|\b(?:log|sign) ?in (?:here|now|below|via|using|through) (?:the |this )?(?:link|here)?|\bvia the link\b|\bclick here\b", "asks you to click a link", 0.7, &[]),
];

/// What a police, Report Fraud or Trading Standards warning says when it *describes* a scam.
#[rustfmt::skip]
const WARNING_MARKS: &[&str] = &[
    r"\b(?:scams?|scammers?|fraudsters?|con ?artists?|conmen|criminals|rogue trad(?:ers?|ing))\b",
    r"\b(?:will|would) never (?:ask|call|text|email|request|contact|send|phone|collect|come)\b",
    r"\bnever (?:give|share|hand|tell|send|transfer|move|pay|click|reply)\b",
    r"\bif you (?:receive|get|are contacted|have received|think you|have been|are unsure|are worried|are ever)\b|\bif (?:someone|anyone|a caller|a stranger) (?:threatens|asks|contacts|calls|rings|texts|messages|says|claims|knocks)\b",
    r"\breport (?:it|this|them|scams?|suspicious|fraud|any)\b.{0,40}\b(?:to|on|via|at|online)\b",
    r"\b7726\b|\baction fraud\b|\breport fraud\b|\breportfraud\b|0300 123 2040|\bphishing\.gov\.uk\b",
    r"\b(?:trading standards|citizens advice|neighbourhood watch|pcso|neighbourhood (?:policing|team|officer)|crime prevention|police (?:are|have been) (?:warning|aware)|safer neighbourhood)\b",
    r"\b(?:stay|be) (?:vigilant|alert|aware|scam aware|safe)\b|\bbeware\b|\b(?:police|fraud|scam|community|safety|crime) (?:warning|alert|advice)\b|\bwarning (?:to|about|for) (?:residents|the public|people|customers|parents)\b|\bprotect yourself\b|\btake five\b|\bstop,? challenge\b",
    r"\b(?:we|police|officers) (?:have|'ve) (?:received|had) (?:a number of |several |many |some )?reports\b|\breports of\b|\bresidents\b|\bvictims?\b|\bbeing targeted\b|\bplease share\b|\bvulnerable\b",
    r"\b(?:posing|pretending|claiming) (?:as|to be)\b.{0,60}\b(?:they|criminals|scammers|fraudsters)\b|\b(?:they|criminals|scammers|fraudsters|the caller|callers) (?:will|may|might|often|could|typically|usually) (?:ask|say|claim|pretend|tell|try|use|pose|contact|call|text)\b",
    r"\bkind regards\b|\bmessage sent by\b",
    r"\b(?:don't|do not) (?:pay|reply|respond|engage)\b|\bstop (?:all )?contact\b|\breport (?:it |them )?to (?:the )?police\b|\bit'?s (?:a|always a) scam\b|\b(?:talk|leaflets?|advice|session) (?:on|about) scams\b|\bjoint warning\b",
    r"\b(?:check|ask for|ask to see) (?:their |any |his |her )?(?:id|identification)\b|\b(?:on|using) a (?:phone )?number you (?:know|trust)\b|\bnumber (?:on|from) (?:your|the|their) (?:bill|card|statement|official website)\b",
    r"\b(?:is|are) (?:usually|often|typically|commonly) (?:associated|linked|carried out|done|sent|made)\b|\bmight (?:even )?be (?:someone|a)\b|\bbe (?:wary|suspicious|careful) (?:of|if)\b|\bgenuine (?:traders|companies|banks|firms|officials|callers|organisations) (?:will|would|do) (?:never|not)\b|\bsigns of a scam\b|\bhow to spot\b",
];

/// A resident telling what happened to them ("they said they were from Action Fraud"), which is a
/// report of a scam, not a warning about one, whatever words it borrows.
const FIRST_PERSON: &str = r"\b(?:(?:he|she|they|the caller|a man|a woman|someone) (?:said|told me|told her|told him|asked me|asked her|rang|called me|phoned|claimed)|rang me|called me|phoned me|i (?:got|had|received) (?:a|an) (?:call|text|message|email|knock)|my (?:mum|dad|mother|father|nan|gran|husband|wife|neighbour)(?:'s)? (?:got|had|received|was))\b";

/// What ordinary arrangements between people who know each other say: they will meet, they
/// have talked already, the buyer sees the item before paying.
const IN_PERSON: &str = r"\b(?:when|once) i see you\b|\bsee you (?:at|on|tomorrow|tonight|later|soon|then|there|next|in)\b|\bfollowing our (?:call|conversation|chat|meeting|visit)\b|\bas (?:agreed|discussed|promised) (?:on|at|earlier|yesterday|last)?|\bcollection only\b|\bon collection\b|\bcollect(?:ion)? in person\b|\bpick (?:it |them )?up from\b|\bcome and (?:see|view|have a look)\b|\bpayment (?:is )?(?:due )?on completion\b|\bpay (?:on|after) completion\b|\bquote as requested\b|\binvoice to follow\b|\bi'?ll (?:call|ring|phone) you (?:from|tonight|later|when|tomorrow|in)\b";

/// Someone addressing the reader as a parent or grandparent: the "Hi Mum" scam's opening.
const FAMILY_ADDRESS: &str = r"\b(?:hi|hello|hey|hiya|heya|morning|evening|alright|oi) (?:mum|mam|mom|mummy|mumma|ma|mother|dad|daddy|pops|father|nan|nana|nanna|nanny|gran|granny|grandma|grandad|grandpa|grandpops)\b|^\W*(?:mum|mam|mom|mummy|dad|daddy|nan|nana|nanny|gran|granny|grandma|grandad|grandpa)\b|\b(?:mum|mam|mom|dad|nan|gran|grandad|grandma),? (?:it'?s|its|this is) (?:me|your)\b|\b(?:it'?s|its) (?:me|your) (?:son|daughter|boy|girl|grandson|granddaughter)\b";

/// Asking the reader to get in touch on the new number: "text me", "save it", "WhatsApp me".
const ASK_TO_MESSAGE: &str = r"\b(?:text|message|msg|whatsapp|txt|contact|ring|call|reply to|drop) (?:me|us)\b|\bdrop me a (?:message|text|line|msg)\b|\b(?:on|via) whatsapp\b|\bsave (?:it|this|my|the)\b|\b(?:delete|remove) (?:my |the )?old\b|\bget back to me\b|\b(?:can|could) (?:you|u) (?:text|message|reply|msg)\b";

/// Amounts of money ("£1,450", "£23.40").
const AMOUNT: &str = r"£ ?(\d[\d,]*)(?:\.\d\d)?";

/// A sign-in code sent *to* the resident: "Your code is 123456. Don't share it."
const SENT_CODE: &str = r"\b(?:your|the) (?:\w+ )?(?:verification |security |login |sign-?in |one-?time |confirmation |access )?(?:code|pin|passcode|otp) (?:is|:) ?[a-z]?-?\d{4,8}\b|\b\d{4,8} is your (?:\w+ )?(?:code|pin|passcode|otp)\b|\buse (?:the )?code \d{4,8}\b";

/// A receipt for a payment the resident made: "your payment of £2.50 has been received".
const RECEIPT: &str = r"\b(?:payment|order|donation|top-?up)\b.{0,60}\b(?:has been|was|is) (?:received|successful|confirmed)\b|\bthank you for your (?:payment|order|donation)\b";

/// "Never", "don't", "won't" a few words before a sign: advice, not a request.
const NEGATION: &str = r"\b(?:never|not|don't|dont|won't|wouldn't|shouldn't|doesn't|didn't|cannot|can't|no one|nobody|no)\b";

struct Compiled {
    set: RegexSet,
    each: Vec<Regex>,
    warnings: RegexSet,
    sent_code: Regex,
    negation: Regex,
    first_person: Regex,
    in_person: Regex,
    receipt: Regex,
    family_address: Regex,
    ask_to_message: Regex,
    amount: Regex,
}

/// `\b` as an ASCII word boundary: the lazy DFA cannot take a Unicode one on non-ASCII text.
fn ascii_boundaries(pattern: &str) -> String {
    pattern
        .replace(r"\b", r"(?-u:\b)")
        .replace(r"\w", "[a-z0-9_]")
}

static COMPILED: LazyLock<Compiled> = LazyLock::new(|| {
    let patterns: Vec<String> = RULES.iter().map(|r| ascii_boundaries(r.pattern)).collect();
    Compiled {
        set: RegexSet::new(&patterns).expect("the sign patterns compile"),
        each: patterns
            .iter()
            .map(|p| Regex::new(p).expect("a sign pattern compiles"))
            .collect(),
        warnings: RegexSet::new(WARNING_MARKS.iter().map(|p| ascii_boundaries(p)))
            .expect("the warning patterns compile"),
        sent_code: Regex::new(&ascii_boundaries(SENT_CODE)).expect("the code pattern compiles"),
        negation: Regex::new(&ascii_boundaries(NEGATION)).expect("the negation compiles"),
        first_person: Regex::new(&ascii_boundaries(FIRST_PERSON))
            .expect("the first-person pattern compiles"),
        in_person: Regex::new(&ascii_boundaries(IN_PERSON))
            .expect("the in-person pattern compiles"),
        amount: Regex::new(AMOUNT).expect("the amount pattern compiles"),
        receipt: Regex::new(&ascii_boundaries(RECEIPT)).expect("the receipt pattern compiles"),
        family_address: Regex::new(&ascii_boundaries(FAMILY_ADDRESS))
            .expect("the family-address pattern compiles"),
        ask_to_message: Regex::new(&ascii_boundaries(ASK_TO_MESSAGE))
            .expect("the ask-to-message pattern compiles"),
    }
});

/// Compiles the patterns now rather than at the first check.
pub(crate) fn warm_up() {
    LazyLock::force(&COMPILED);
}

/// What the patterns found in a reading.
#[derive(Debug)]
pub(crate) struct Matches {
    /// Signs (weight above 0) and cues (weight 0), each rule once with all its places.
    pub found: Vec<Found>,
    /// How many kinds of warning-about-a-scam mark it carries.
    pub warning_marks: usize,
    /// Whether it is a sign-in code sent to the resident.
    pub sent_code: bool,
    /// Whether it reads like an arrangement between people who will meet or have met.
    pub in_person: bool,
    /// Whether it reads like a receipt for a payment already made.
    pub receipt: bool,
    /// The largest sum of money it names, in pounds.
    pub largest_sum: Option<u64>,
}

pub(crate) fn find(reading: &Reading) -> Matches {
    let compiled = &*COMPILED;
    let folded = reading.folded.as_str();
    let mut found = Vec::new();
    for index in compiled.set.matches(folded).iter() {
        let rule = &RULES[index];
        let mut spans = Vec::new();
        let mut distinct: Vec<&str> = Vec::new();
        for m in compiled.each[index].find_iter(folded) {
            if rule.negatable && negated(folded, m.start(), &compiled.negation) {
                continue;
            }
            // "My account is blocked" is the sender's story, not a warning about yours.
            if rule.id == "account-locked"
                && folded[..m.start()]
                    .split_whitespace()
                    .rev()
                    .take(2)
                    .any(|w| w == "my")
            {
                continue;
            }
            // "Receive a £500 gift card" is the bait of a prize, not a way of paying.
            // "I just won the office raffle" is the sender's news, not bait.
            if rule.id == "prize" && own_win(folded, m.start()) {
                continue;
            }
            if rule.id == "gift-cards" && offered(folded, m.start()) {
                continue;
            }
            spans.push(reading.span(m.range()));
            if !distinct.contains(&m.as_str()) {
                distinct.push(m.as_str());
            }
        }
        if spans.is_empty() {
            continue;
        }
        spans.truncate(8);
        found.push(Found {
            rule: rule.id,
            says: rule.says.to_owned(),
            spans,
            weight: rule.weight,
            kinds: rule.kinds.to_vec(),
            hits: distinct.len(),
        });
    }
    hi_mum_opening(&mut found, folded, compiled);
    Matches {
        found,
        warning_marks: if compiled.first_person.is_match(folded) {
            0
        } else {
            compiled.warnings.matches(folded).iter().count()
        },
        sent_code: compiled.sent_code.is_match(folded),
        in_person: compiled.in_person.is_match(folded),
        receipt: compiled.receipt.is_match(folded),
        largest_sum: compiled
            .amount
            .captures_iter(folded)
            .filter_map(|c| c[1].replace(',', "").parse().ok())
            .max(),
    }
}

/// The opening of the "Hi Mum" scam, before any money is asked for: a new number, from someone who
/// calls you Mum, Dad or Nan, asking you to message them or save it. Police advise calling them on
/// the number you already have, which is right even when it is genuine, so together these are a
/// strong sign. A friend who signs their name and asks nothing stays a weak one.
fn hi_mum_opening(found: &mut [Found], folded: &str, compiled: &Compiled) {
    if !compiled.family_address.is_match(folded)
        || !compiled.ask_to_message.is_match(folded)
        || folded.contains("same number")
    {
        return;
    }
    if let Some(f) = found.iter_mut().find(|f| f.rule == "new-number") {
        f.weight = HI_MUM_OPENING_WEIGHT;
        f.says = "a new number, from someone who calls you Mum or Dad and asks you to message \
                  them: call them on the number you already have"
            .to_owned();
        f.kinds = vec![(FamilyFriend, 4.0)];
    }
}

/// The weight of a new number with a family greeting and an ask (see [`hi_mum_opening`]).
const HI_MUM_OPENING_WEIGHT: f32 = 3.0;

/// Whether the sender says they won ("I just won the raffle"), a few words before `at`.
fn own_win(folded: &str, at: usize) -> bool {
    let mut from = at.saturating_sub(30);
    while !folded.is_char_boundary(from) {
        from += 1;
    }
    let mut to = (at + 4).min(folded.len());
    while !folded.is_char_boundary(to) {
        to += 1;
    }
    let around = &folded[from..to];
    [
        "i just won",
        "i won",
        "we won",
        "we just won",
        "i've won",
        "we've won",
    ]
    .iter()
    .any(|w| around.contains(w))
}

/// Whether the words just before `at` offer something ("win a", "receive your free").
fn offered(folded: &str, at: usize) -> bool {
    let mut from = at.saturating_sub(30);
    while !folded.is_char_boundary(from) {
        from += 1;
    }
    let before = &folded[from..at];
    [
        "receive", "win ", "won ", "claim", "free ", "get a", "reward",
    ]
    .iter()
    .any(|w| before.contains(w))
}

/// Whether a negation stands in the few words before `at`, within the same sentence.
fn negated(folded: &str, at: usize, negation: &Regex) -> bool {
    let mut from = at.saturating_sub(40);
    while !folded.is_char_boundary(from) {
        from += 1;
    }
    let before = &folded[from..at];
    // Only within the same clause: "not to tell the cashier, and a courier will collect it" is
    // still a courier collecting.
    let mut clause = before
        .rfind(['.', '!', '?', '\n', ';', ','])
        .map_or(before, |i| &before[i + 1..]);
    for joint in [" and ", " but ", " then ", " so "] {
        if let Some(i) = clause.rfind(joint) {
            clause = &clause[i + joint.len()..];
        }
    }
    negation.is_match(clause)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules_in(text: &str) -> Vec<&'static str> {
        find(&Reading::new(text))
            .found
            .into_iter()
            .filter(|f| f.weight > 0.0)
            .map(|f| f.rule)
            .collect()
    }

    #[test]
    fn every_pattern_compiles() {
        warm_up();
        assert_eq!(COMPILED.each.len(), RULES.len());
    }

    #[test]
    fn a_request_is_a_sign_but_the_same_words_as_advice_are_not() {
        assert!(rules_in("Please send me the code we just texted you").contains(&"asks-code"));
        assert!(!rules_in("We will never ask you to share the code").contains(&"asks-code"));
        assert!(rules_in("Move your savings to a safe account today").contains(&"safe-account"));
        assert!(
            !rules_in("Your bank will never ask you to move money to a safe account")
                .contains(&"safe-account")
        );
    }

    #[test]
    fn the_second_pass_signs_fire_on_what_the_warnings_describe() {
        for (text, rule) in [
            (
                "I don't use this app much, can we talk on Telegram?",
                "off-the-app",
            ),
            (
                "We've never met, his camera is broken so no video call",
                "never-met",
            ),
            (
                "Would need a deposit first as lots of interest",
                "deposit-first",
            ),
            (
                "I've paid via PayPal, please check your email for the confirmation",
                "fake-payment-email",
            ),
            (
                "There was a sticker over the QR on the parking meter",
                "qr-sticker",
            ),
            (
                "Invest in storage pods with guaranteed 8% returns",
                "unregulated-investment",
            ),
            ("Martin Lewis backs this AI trading bot", "celebrity-bot"),
            (
                "Your account is frozen until you pay a withdrawal fee",
                "pay-to-withdraw",
            ),
            (
                "We have a buyer lined up for your timeshare",
                "timeshare-resale",
            ),
            (
                "Card payments are temporarily unavailable, bank transfer only",
                "no-card-protection",
            ),
            (
                "Pay 3 BTC or we will publish your data",
                "threat-to-publish",
            ),
            (
                "Your CV has been selected, no experience needed, paid daily",
                "unsolicited-job",
            ),
            (
                "Stay on the line and call the number on the back of your card",
                "line-open",
            ),
            ("Tell the cashier it's for a new car", "cover-story"),
        ] {
            assert!(
                rules_in(text).contains(&rule),
                "{text}: {:?}",
                rules_in(text)
            );
        }
        assert!(!rules_in("Hi Mum, running late, home by 6").contains(&"new-number"));
    }

    #[test]
    fn a_sent_code_is_recognised() {
        assert!(find(&Reading::new("Your Monzo code is 482913. Don't share it.")).sent_code);
        assert!(find(&Reading::new("123456 is your verification code")).sent_code);
    }
}
