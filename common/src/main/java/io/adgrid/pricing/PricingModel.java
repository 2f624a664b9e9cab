package io.adgrid.pricing;

/** What a campaign pays for: a thousand impressions, a clean click, or a conversion (a sale). */
public enum PricingModel {
    /** Cost per mille: the price buys 1,000 impressions. */
    CPM,
    /** Cost per click: the price buys one clean click (suspect clicks are never billed). */
    CPC,
    /** Cost per action: the price buys one conversion. */
    CPA
}
