"""Interface texts of the 扬帆之城评价 pages, Chinese first and English; merged into ``i18n.TEXTS``."""

from __future__ import annotations

from typing import Literal

EVALUATION_TEXTS: dict[str, dict[Literal["zh", "en"], str]] = {
    "ev_nav": {"zh": "扬帆之城评价", "en": "City evaluation"},
    "ev_tab_ranking": {"zh": "城市排名", "en": "Ranking"},
    "ev_tab_designated": {"zh": "重点城市（U13）", "en": "Key cities (U13)"},
    "ev_tab_audit": {"zh": "方法审计", "en": "Method audit"},
    "ev_demo_banner": {
        "zh": "本页含演示数据：城市的基站、用户数值由公开的全国和地区总量分摊生成，名录记录多为合成记录，"
              "评价结果只用于演示方法，不反映任何城市的真实水平。",
        "en": "This page contains demo data (演示数据): the cities' base-station and user figures are apportioned "
              "from published totals and most registry records are synthetic; the results demonstrate the method "
              "and say nothing about any real city."},
    "ev_method": {"zh": "评价方法", "en": "Method"},
    "ev_year": {"zh": "评价年度", "en": "year"},
    "ev_cities_count": {"zh": "参评城市 {n} 个", "en": "{n} cities"},
    "ev_designated_count": {"zh": "其中重点城市 {n} 个", "en": "{n} of them key cities"},
    "ev_runs_seed": {"zh": "不确定性分析 {runs} 次模拟（随机种子 {seed}）",
                     "en": "uncertainty analysis: {runs} simulations (seed {seed})"},
    "ev_published": {"zh": "评价方法已发布。", "en": "The method is published."},
    "ev_draft": {"zh": "评价方法为草案，尚未发布：权重为等权重初稿，待专家组论证和方法审计后确定；"
                       "排名仅供讨论方法使用。",
                 "en": "The method is a draft, not yet published: its equal weights are a first proposal awaiting "
                       "the expert panel and the audit; the ranking is for discussing the method only."},
    "ev_left_out": {"zh": "以下指标本年数据覆盖的城市过少，未计入评价：",
                    "en": "Too few cities have a value of these indicators this year, so they are left out:"},
    "ev_coverage": {"zh": "（{pct}% 的城市有数据）", "en": " ({pct}% of cities have a value)"},
    "ev_intro": {
        "zh": "综合指数把网络、应用、产业、生态四个维度的指标标准化到 0–100 后加权汇总。排名旁的区间是改变权重和"
              "计算方法后排名的变化范围：区间越窄，排名越可靠；区间重叠的城市不宜区分先后。",
        "en": "The composite index puts the indicators of four pillars (network, application, industry, ecosystem) "
              "on a 0–100 scale and sums them with weights. The interval beside each rank is how far the rank "
              "moves when the weights and the method's choices change: the narrower, the firmer the rank; "
              "cities whose intervals overlap should not be told apart."},
    "ev_map_label": {"zh": "各地级及以上城市综合得分地图", "en": "Map of the cities' composite scores"},
    "ev_map_hint": {"zh": "颜色越深得分越高；灰色为不参评的地区。点击城市查看其评价。",
                    "en": "Darker means a higher score; grey areas are not evaluated. Click a city to open its page."},
    "ev_province": {"zh": "省份", "en": "Province"},
    "ev_all_provinces": {"zh": "全部省份", "en": "All provinces"},
    "ev_only_designated": {"zh": "只看重点城市（U13）", "en": "Key cities (U13) only"},
    "ev_clear": {"zh": "清除筛选", "en": "Clear filters"},
    "ev_interval_legend": {
        "zh": "排名区间：浅色条为全部模拟中 90% 的排名所在范围（第 5 至第 95 百分位），深色竖线为中位排名，"
              "橙色标记为按方法原定选择计算的排名。",
        "en": "Rank interval: the light bar spans 90% of the simulated ranks (5th to 95th percentile), the dark tick "
              "is the median rank, the orange mark the rank under the method's own choices."},
    "ev_table_caption": {"zh": "显示 {shown} / {n} 个城市；排名均为全国排名",
                         "en": "{shown} of {n} cities shown; ranks are national"},
    "ev_interval": {"zh": "排名区间", "en": "Rank interval"},
    "ev_interval_help": {"zh": "第 5 至第 95 百分位排名", "en": "5th to 95th percentile rank"},
    "ev_median_rank": {"zh": "中位排名", "en": "Median rank"},
    "ev_city": {"zh": "城市", "en": "City"},
    "ev_score": {"zh": "综合得分", "en": "Score"},
    "ev_no_cities": {"zh": "没有符合筛选条件的城市", "en": "No city matches the filter"},
    "ev_designated_badge": {"zh": "重点城市", "en": "key city"},
    "ev_designated_help": {"zh": "名录中已认定的“扬帆”重点城市或5G应用规模发展城市（U13）",
                           "en": "recognised in the registry as a Sailing key city or a 5G scale-development "
                                 "city (U13)"},
    "ev_not_evaluated": {"zh": "不参评", "en": "not evaluated"},
    "ev_low": {"zh": "低", "en": "low"},
    "ev_high": {"zh": "高", "en": "high"},
    # The city page.
    "ev_region_page": {"zh": "查看该地区的指标与目标进度", "en": "The region's figures and targets"},
    "ev_same_province": {"zh": "同省城市排名", "en": "Cities of the same province"},
    "ev_rank_of": {"zh": "第 {rank} 名 / 共 {n} 个城市", "en": "{rank} of {n}"},
    "ev_interval_city": {"zh": "在 {runs} 次改变权重和计算方法的模拟中，90% 的排名落在第 {p5} 至第 {p95} 名之间。",
                         "en": "In {runs} simulations with other weights and choices, 90% of its ranks fall "
                               "between {p5} and {p95}."},
    "ev_profile": {"zh": "优势与短板", "en": "Strengths and weaknesses"},
    "ev_strengths": {"zh": "相对优势：{names}。这些指标的标准化得分高出全国中位数最多。",
                     "en": "Strengths: {names}. On these indicators its normalised score is furthest above the "
                           "median city's."},
    "ev_weaknesses": {"zh": "相对短板：{names}。这些指标的标准化得分低于全国中位数最多。",
                      "en": "Weaknesses: {names}. On these indicators its normalised score is furthest below the "
                            "median city's."},
    "ev_no_strengths": {"zh": "没有高于全国中位数的指标。", "en": "No indicator above the median city's."},
    "ev_no_weaknesses": {"zh": "没有低于全国中位数的指标。", "en": "No indicator below the median city's."},
    "ev_imputed_text": {"zh": "以下指标缺少数值，按方法以全部城市的数值补齐后计算：{names}。",
                        "en": "These values are missing and were filled in from all cities' values, as the method "
                              "says: {names}."},
    "ev_pillar": {"zh": "维度", "en": "Pillar"},
    "ev_all_median": {"zh": "全部城市中位数", "en": "Median of all cities"},
    "ev_pillar_chart": {"zh": "各维度得分与全部城市中位数", "en": "Pillar scores and the median of all cities"},
    "ev_indicators": {"zh": "各项指标", "en": "Indicators"},
    "ev_indicators_help": {
        "zh": "原始值为评价年度年末的数值；标准化得分把全部城市的数值换算到 0–100（最低为 0，最高为 100），"
              "是指数实际使用的数。",
        "en": "Raw values are at the evaluation year's end; the normalised score puts all cities' values on "
              "0–100 (lowest 0, highest 100) and is what the index uses."},
    "ev_nation_median": {"zh": "全国中位数", "en": "Median city"},
    "ev_normalised": {"zh": "标准化得分", "en": "Normalised"},
    "ev_normalised_median": {"zh": "标准化得分中位数", "en": "Median normalised"},
    "ev_strength": {"zh": "优势", "en": "strength"},
    "ev_weakness": {"zh": "短板", "en": "weakness"},
    "ev_imputed": {"zh": "已补值", "en": "imputed"},
    "ev_imputed_help": {"zh": "缺少数值，按方法补齐", "en": "missing, filled in as the method says"},
    "ev_winsorised": {"zh": "已缩尾", "en": "winsorised"},
    "ev_winsorised_help": {"zh": "极端值：按异常值规则缩至次极端值后计算",
                           "en": "an extreme value, pulled in to the next one by the outlier rule"},
    "ev_no_value": {"zh": "无", "en": "none"},
    # The audit page.
    "ev_audit_intro": {
        "zh": "方法审计按欧盟联合研究中心（JRC）与经合组织《综合指标构建手册》的做法检查指数：各指标实际影响是否与"
              "权重相符、指标之间是否重复计算、排名对计算选择有多敏感、哪些极端值被处理。",
        "en": "The audit checks the index as the JRC/OECD Handbook on Constructing Composite Indicators does: "
              "whether each indicator's actual influence matches its weight, whether indicators count the same "
              "thing twice, how sensitive the ranks are to the method's choices, and which extreme values were "
              "treated."},
    "ev_choices": {"zh": "方法的选择", "en": "The method's choices"},
    "ev_dim_weights": {"zh": "权重", "en": "Weights"},
    "ev_dim_normalisation": {"zh": "标准化方法", "en": "Normalisation"},
    "ev_dim_aggregation": {"zh": "汇总方法", "en": "Aggregation"},
    "ev_dim_imputation": {"zh": "缺失值处理", "en": "Missing values"},
    "ev_minmax": {"zh": "最小–最大值法（0–100）", "en": "min–max (0–100)"},
    "ev_zscore": {"zh": "标准分数（z 分数）", "en": "z-scores"},
    "ev_target": {"zh": "距目标值", "en": "distance to target"},
    "ev_arithmetic": {"zh": "算术平均（可互相弥补）", "en": "arithmetic mean (fully compensatory)"},
    "ev_geometric": {"zh": "几何平均（短板难以弥补）", "en": "geometric mean (weak spots weigh more)"},
    "ev_mean": {"zh": "以均值补齐", "en": "filled with the mean"},
    "ev_median": {"zh": "以中位数补齐", "en": "filled with the median"},
    "ev_none": {"zh": "不补齐", "en": "left missing"},
    "ev_weights_sampled": {"zh": "每项指标的权重在其设定范围内随机取值",
                           "en": "each indicator's weight drawn within its range"},
    "ev_outlier_rule_title": {"zh": "异常值规则", "en": "Outlier rule"},
    "ev_outlier_rule": {
        "zh": "偏度绝对值大于 {skew} 且峰度大于 {kurt} 的指标，逐个把最极端的值缩至次极端值（缩尾），"
              "最多 {points} 个。",
        "en": "An indicator with |skewness| above {skew} and kurtosis above {kurt} has its most extreme value pulled "
              "in to the next one (winsorised), one at a time, at most {points} values."},
    "ev_weights": {"zh": "有效权重与名义权重", "en": "Effective and nominal weights"},
    "ev_weights_help": {
        "zh": "名义权重是方法给每项指标的份额（维度权重 × 维度内权重）。有效权重是该指标单独能解释的综合得分"
              "差异所占比例（主效应），合计为 100%。有效权重远低于名义权重的指标几乎不影响排名，"
              "远高于名义权重的指标主导了排名。",
        "en": "The nominal weight is the share the method gives an indicator (pillar weight × weight within the "
              "pillar). The effective weight is the share of the differences in the index the indicator explains "
              "on its own (its main effect), scaled to sum to 100%. An indicator far below its nominal weight "
              "barely moves the ranks; one far above it drives them."},
    "ev_nominal": {"zh": "名义权重", "en": "Nominal weight"},
    "ev_effective": {"zh": "有效权重", "en": "Effective weight"},
    "ev_ratio": {"zh": "有效 ÷ 名义", "en": "Effective ÷ nominal"},
    "ev_underweight": {"zh": "影响偏小", "en": "weighs less"},
    "ev_overweight": {"zh": "影响偏大", "en": "weighs more"},
    "ev_correlations": {"zh": "指标间相关性", "en": "Correlations between indicators"},
    "ev_correlations_help": {
        "zh": "标准化后各指标两两之间的皮尔逊相关系数。相关系数很高（超过 0.92）的两项指标可能在重复计算同一件事；"
              "与所属维度相关很弱或为负（低于 0.3）的指标对维度得分几乎没有作用。",
        "en": "Pearson correlations between the normalised indicators. Two indicators correlated very highly "
              "(above 0.92) may count the same thing twice; an indicator weakly or negatively correlated with its "
              "pillar (below 0.3) hardly moves the pillar's score."},
    "ev_flags": {"zh": "提示", "en": "Flags"},
    "ev_no_flags": {"zh": "没有需要注意的相关性。", "en": "No correlation needs attention."},
    "ev_sensitivity": {"zh": "敏感性：哪项选择最影响排名", "en": "Sensitivity: which choice moves the ranks most"},
    "ev_sensitivity_help": {
        "zh": "每次只改变一项选择（其余保持方法原定），计算城市排名平均变动多少位。变动越大，该选择越需要论证。",
        "en": "One choice changed at a time (the others as the method has them): by how many places the cities' "
              "ranks move on average. The larger the shift, the more that choice needs arguing for."},
    "ev_sensitivity_top": {"zh": "最敏感的是“{choice}”：只改变它，城市排名平均变动 {shift} 位。",
                           "en": "The most sensitive choice is {choice}: changing it alone moves a city's rank by "
                                 "{shift} places on average."},
    "ev_choice": {"zh": "选择", "en": "Choice"},
    "ev_shift": {"zh": "排名平均变动（位）", "en": "Mean rank shift (places)"},
    "ev_outliers": {"zh": "缩尾处理的极端值", "en": "Winsorised extreme values"},
    "ev_outliers_help": {
        "zh": "少数城市的极端值会把其余城市的标准化得分压得很低，按异常值规则缩尾后再计算。下列城市的数值被缩尾。",
        "en": "A few extreme values would squash every other city's normalised score, so they are winsorised by the "
              "outlier rule first. These cities' values were winsorised."},
    "ev_winsorised_cities": {"zh": "被缩尾的城市", "en": "Cities winsorised"},
    "ev_no_outliers": {"zh": "没有指标需要缩尾。", "en": "No indicator needed winsorising."},
    "ev_monte_carlo": {"zh": "不确定性分析（蒙特卡洛模拟）", "en": "Uncertainty analysis (Monte Carlo)"},
    "ev_monte_carlo_help": {
        "zh": "共模拟 {runs} 次，随机种子为 {seed}（同一数据、同一种子得到完全相同的结果）。每次模拟按下表随机改变"
              "权重和计算方法，重新计算全部城市的排名。",
        "en": "{runs} simulations with seed {seed} (the same data and seed give exactly the same result). Each one "
              "changes the weights and the choices at random as the table says and ranks every city again."},
    "ev_sampled": {"zh": "模拟中的取值", "en": "What the simulations draw"},
    "ev_reading_intervals": {
        "zh": "排名区间取全部模拟排名的第 5 和第 95 百分位，中位排名取其中位数。区间窄说明排名不依赖具体的权重和方法；"
              "两个城市的区间重叠时，其先后次序并不可靠。",
        "en": "A rank interval is the 5th and 95th percentile of a city's simulated ranks, the median rank their "
              "median. A narrow interval means the rank does not hang on the exact weights and choices; when two "
              "cities' intervals overlap, their order is not reliable."},
    # The key-city page.
    "ev_designated_intro": {
        "zh": "重点城市为名录中已认定的“扬帆”重点城市和5G应用规模发展城市，对应升级方案目标 U13"
              "“推动建设一批5G应用规模发展城市”。本页把它们作为一组，与全部参评城市比较。",
        "en": "Key cities are those recognised in the registry as Sailing key cities and 5G scale-development cities, "
              "the group of the upgrade plan's target U13 (a number of 5G scale-development cities). This page "
              "compares them as a group with all evaluated cities."},
    "ev_group_of": {"zh": "个重点城市（参评城市共 {n} 个）", "en": "key cities (of {n} evaluated cities)"},
    "ev_group_median_rank": {"zh": "重点城市的中位排名", "en": "the key cities' median rank"},
    "ev_top_tenth": {"zh": "个进入前 10%（前 {cut} 名）", "en": "in the top tenth (top {cut})"},
    "ev_top_quarter": {"zh": "个进入前 25%（前 {cut} 名）", "en": "in the top quarter (top {cut})"},
    "ev_stable": {"zh": "个稳定在前 {cut} 名（整个排名区间都在其内）",
                  "en": "firmly in the top {cut} (whole rank interval)"},
    "ev_progress": {"zh": "重点城市数（U13）", "en": "Key cities over time (U13)"},
    "ev_progress_help": {"zh": "各年末名录中已认定的城市数；U13 为跟踪监测目标，未设数值。",
                         "en": "Cities recognised in the registry at each year's end; U13 is tracked, with no "
                               "number set."},
    "ev_group_count": {"zh": "城市数", "en": "Cities"},
    "ev_u13_indicator": {"zh": "查看指标“5G应用规模发展城市数”", "en": "The indicator: scale-development cities"},
    "ev_group_pillars": {"zh": "各维度：重点城市中位数与全部城市中位数",
                         "en": "Pillars: key cities' median against all cities' median"},
    "ev_group_median": {"zh": "重点城市中位数", "en": "Key cities' median"},
    "ev_group_ranks": {"zh": "重点城市的排名与区间", "en": "The key cities' ranks and intervals"},
    "ev_above_below": {"zh": "维度得分高于全部城市中位数的标为绿色，低于的标为红色。",
                       "en": "Pillar scores above the median of all cities are green, below it red."},
    "ev_no_designated": {"zh": "名录中还没有已认定的重点城市", "en": "No key city is recognised in the registry yet"},
}
