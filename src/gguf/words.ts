/**
 * Common English words for the vocabulary of the demo model: with whole words as tokens, random weights
 * produce readable word salad instead of random bytes. Lowercase ASCII letters only; order does not matter
 * (duplicates are dropped when the vocabulary is built).
 */
const text = `
a able about above accept accident account across act action active activity actor actual actually add address
admit adult advance advice afford afraid after afternoon again against age agency agent ago agree ahead aid aim
air airport alarm album alive all allow almost alone along already also although always amazing among amount
an ancient and anger angle angry animal announce annual another answer anxious any anybody anyone anything
anyway anywhere apart apartment appear apple apply approach april area argue arm army around arrange arrive
arrow art article artist as ask asleep assist at atom attack attempt attend attention attract audience august
aunt author autumn available average avoid awake award aware away awful baby back background bad badly bag
bake balance ball banana band bank bar bare barely barn base basic basket bath bathroom battery battle bay be
beach bean bear beard beat beautiful beauty because become bed bedroom bee beef before begin behave behind
being believe bell belong below belt bench bend beneath benefit berry beside best bet better between beyond
bicycle big bike bill bird birth birthday biscuit bit bite bitter black blade blame blank blanket blind block
blood blow blue board boat body boil bold bone book boot border bored boring born borrow boss both bother
bottle bottom bounce bowl box boy brain branch brave bread break breakfast breath breathe brick bridge brief
bright brilliant bring broad broken brother brown brush bubble bucket budget build building bullet bunch burn
burst bury bus bush business busy but butter button buy by cabin cable cafe cage cake calendar call calm camera
camp campaign can canal candle candy cannot cap capable capital captain car card care career careful carpet
carry cart case cash castle cat catch cattle cause ceiling celebrate cell cellar cent center central century
certain chain chair chalk challenge champion chance change channel chapter character charge charity chart chase
cheap check cheek cheerful cheese chef cherry chest chicken chief child childhood chin chip chocolate choice
choose chop church circle citizen city claim class classic clean clear clerk clever click cliff climate climb
clock close closet cloth clothes cloud club clue coach coal coast coat code coffee coin cold collar collect
college color column combine come comfort comfortable command comment common community company compare
compete complain complete computer concern concert condition confident confirm connect consider contain
content contest continue control cook cookie cool copper copy corn corner correct cost cotton couch cough
could count country couple courage course court cousin cover cow crack craft crash crazy cream create creature
credit crew crime crisp crop cross crowd crown cruel cry crystal cultural culture cup cupboard curious current
curtain curve custom customer cut cute cycle dad daily damage damp dance danger dangerous dare dark data date
daughter dawn day dead deal dear death debate debt decade december decide decision deck declare deep deer
defend degree delay delicate delicious deliver demand dentist deny depend depth describe desert design desk
detail develop device dialog diamond diary dice die diet differ difference different difficult dig dinner
direct direction dirt dirty disagree disappear discover discuss disease dish distance distant divide doctor
document dog doll dollar door dot double doubt down downtown dozen draft drag dragon drama draw drawer dream
dress drink drive driver drop drum dry duck due during dust duty each eager eagle ear early earn earth ease
easily east easy eat echo edge education effect effort egg eight either elbow elder elect electric elephant
elevator eleven else email empty end enemy energy engine engineer enjoy enormous enough enter entire entrance
envelope equal error escape especially even evening event ever every everybody everyone everything everywhere
exact exam example excellent except exchange excited exciting excuse exercise exist exit expect expensive
experience expert explain explore express extra eye face fact factory fail fair fairy faith fall false
familiar family famous fan fancy far farm farmer fashion fast fat father fault favor favorite fear feather
february feed feel feeling fellow female fence festival fever few field fierce fifteen fifty fight figure fill
film final finally find fine finger finish fire firm first fish fit five fix flag flame flash flat flavor
flight float flood floor flour flow flower fly focus fog fold folk follow food fool foot football for force
forest forever forget forgive fork form former fortune forty forward fountain four fox frame free freedom
freeze fresh friday fridge friend friendly frog from front frost fruit fry fuel full fun funny fur furniture
future gain game garage garden gas gate gather general gentle gentleman get ghost giant gift girl give glad
glass glove glow go goal goat gold golden good goose government grab grade grain grand grandfather
grandmother grape grass grateful gray great green greet grocery ground group grow guard guess guest guide
guitar gun guy habit hair half hall hammer hand handle hang happen happy harbor hard hardly harm harvest hat
hate have he head health healthy hear heart heat heavy height hello helmet help her here hero hers herself
hide high hill him himself hire his history hit hobby hold hole holiday hollow home honest honey hope horn
horse hospital host hot hotel hour house how however huge human humor hundred hungry hunt hurry hurt husband
ice idea if ignore ill image imagine important improve in inch include increase indeed indoor industry
information inside insect instance instead instrument interest interesting internet into invent invite iron
island it item its itself jacket jam january jar jaw jazz jeans jelly jewel job join joke journey joy judge
juice july jump june jungle junior just keen keep kettle key kick kid kill kind king kingdom kiss kitchen kite
knee knife knock know knowledge label lady lake lamp land language large last late later laugh laundry law
lawn lawyer lay layer lazy lead leader leaf learn least leather leave left leg legal lemon lend length less
lesson let letter level library lid lie life lift light like likely limit line lion lip liquid list listen
little live lively load loaf local lock lonely long look loose lose loss lost lot loud love lovely low luck
lucky lunch machine mad magazine magic mail main major make male mall man manage manager many map march mark
market marry mass master match material math matter may maybe meal mean meaning measure meat medal media
medicine meet meeting member memory mention menu mess message metal method middle midnight might mild mile
milk mill mind mine minute mirror miss mistake mix model modern moment monday money monkey month mood moon
moral more morning most mother motor mountain mouse mouth move movie much mud mug museum mushroom music must
my myself mystery nail name narrow nation native natural nature near nearly neat necessary neck need needle
neighbor neither nephew nerve nervous nest net never new news newspaper next nice niece night nine no noble
nobody nod noise none noon nor normal north nose not note nothing notice novel november now number nurse nut
object ocean october odd of off offer office officer often oil okay old olive on once one onion only onto
open opera opinion opposite option or orange order ordinary organize other our ours ourselves out outdoor
outside oven over own owner pack package page pain paint painting pair palace pale pan panel paper parade
parent park part partner party pass passenger past path patient pattern pause pay peace peaceful peach pear
pen pencil people pepper perfect perform perhaps period person pet phone photo piano pick picnic picture pie
piece pig pile pillow pilot pin pink pipe pitch place plain plan plane planet plant plastic plate play player
pleasant please pleasure plenty pocket poem poet point poison police polite pond pool poor popular port
position possible post pot potato pound pour powder power practice praise prefer prepare present press pretty
prevent price pride prince princess print prison private prize probably problem produce product program
project promise proper protect proud prove provide public pull pump pupil purple purpose push put puzzle
quality quarter queen question quick quickly quiet quite rabbit race radio rail rain rainbow raise range
rapid rare rat rather raw reach read ready real realize really reason receive recent recipe record red reduce
reflect refuse region relax remain remember remind remove rent repair repeat reply report request rescue
respect rest restaurant result return reward rice rich ride right ring rise risk river road roast rock role
roll roof room root rope rose rough round route row royal rub rubber rude rule run rush sad safe sail salad
salt same sand sandwich saturday sauce save say scale scarf scene school science scissors score screen sea
search season seat second secret see seed seem sell send sense sentence separate september serious serve
service set settle seven several shade shadow shake shall shallow shape share sharp she sheep sheet shelf
shell shelter shine ship shirt shock shoe shoot shop shore short should shoulder shout show shower shut shy
sick side sight sign signal silence silent silk silly silver simple since sing single sink sister sit six
size skate ski skill skin skirt sky sleep slice slide slight slip slow small smart smell smile smoke smooth
snack snake snow so soap soccer social sock sofa soft soil soldier solid solve some somebody someone something
sometimes somewhere son song soon sorry sort soul sound soup sour south space spare speak special speech speed
spell spend spice spider spirit splash spoon sport spot spread spring square stable staff stage stair stamp
stand star start station stay steady steal steam step stick still stone stop store storm story stove straight
strange stranger straw stream street strength stretch strict string strong student study stuff stupid style
subject succeed success such sudden sugar suit summer sun sunday sunny supper supply support sure surface
surprise swallow swan sweater sweep sweet swim swing switch sword system table tail take talent talk tall tank
tape taste tax taxi tea teach teacher team tear teeth telephone television tell temperature ten tennis tent
term terrible test than thank that the theater their theirs them themselves then there these they thick thief
thin thing think third thirsty thirteen thirty this those though thought thousand thread three throat through
throw thumb thunder thursday ticket tidy tie tiger tight till time tiny tip tired title to toast today toe
together toilet tomato tomorrow tone tongue tonight too tool tooth top topic total touch tough tour toward
towel tower town toy track trade traffic train travel treasure treat tree trick trip trouble truck true trust
truth try tuesday tune tunnel turn twelve twenty twice twin two type ugly umbrella uncle under understand
uniform union unit universe until up upon upper upset upstairs us use useful usual usually vacation valley
value van various vase vegetable very victory video view village violin visit visitor voice volume vote wage
wagon waist wait wake walk wall wallet wander want war warm warn wash waste watch water wave way we weak
wealth wear weather wedding wednesday week weekend weigh weight welcome well west wet whale what wheat wheel
when where whether which while whisper whistle white who whole whom whose why wide wife wild will win wind
window wine wing winner winter wire wise wish with within without wolf woman wonder wonderful wood wool word
work worker world worry worse worst worth would wrap write writer wrong yard year yell yellow yes yesterday
yet you young your yours yourself youth zebra zero zone zoo
acorn admire adventure afloat agile alley almond amber anchor ankle antique apron arch arctic aroma attic
autumnal avenue bakery balcony bamboo banner barrel basil beacon bead beetle biscuits blossom bonfire bouquet
breeze bristle brook buckle bumblebee bundle burrow butterfly cactus canoe canyon caramel carrot cathedral
cedar chimney cinnamon clover cobble comet compass coral cottage crayon crescent cricket cupcake daisy dandelion
dew dolphin dragonfly drizzle dune ember emerald fable falcon fern fiddle firefly fjord flannel flute fog
galaxy garnet gazebo glacier glimmer gravel hammock harp hazel heather hedge hedgehog heron honeycomb horizon
iceberg igloo ivory ivy jasmine kayak kernel kiwi lagoon lantern lavender lemonade lighthouse lily lullaby
magnolia mango maple marble marigold meadow melody meteor mint mitten mosaic moss moth muffin nectar nutmeg
oak oasis orbit orchard orchid otter owl paddle pancake panda parrot pebble pelican penguin peony pepperoni
pine pinecone plum pollen popcorn porch puddle pumpkin quilt raccoon raft raven reef ribbon ripple robin
saffron sapphire satchel seashell sequoia shovel sparrow sprout squirrel starfish sunflower sunrise sunset
swallowtail teapot thistle thunderstorm toffee topaz tulip turtle twilight velvet violet volcano waffle walnut
waterfall whisker willow windmill wren yarn yogurt zephyr
abroad absence absent absolute abuse academic accent access accompany accomplish accurate accuse achieve acid
acquire acre acting actress adapt addition adequate adjust adopt advanced advantage advertise affair affect
afterward agenda aggressive agreement agriculture aircraft aisle alcohol alert alien alike alliance allowance
ally alter alternative altogether amateur ambition ambulance amuse analysis ancestor angel anniversary annoy
anticipate anxiety apology apparent appeal appetite applause appointment appreciate appropriate approve
approximately arrival arrest arrangement artistic ashamed aside aspect assemble assignment assume assure athlete
atmosphere attach attitude attorney auction automatic awkward bachelor backyard bacon bacteria badge baggage
ballet balloon ban bandage bargain barrier baseball basin basis bat beam beast bedtime beg beginning behavior
belief beloved beneficial bias bible bid billion bind biology blast bless blink bloom boast bomb bond bonus
booth boundary bow brake brand brass breed bride briefly broadcast brutal buddy buffalo bulb bull bump burden
bureau butcher cabinet calculate calf calorie cancel candidate capacity capture carbon cargo carve casual
catalog category caution cave cease celebration celebrity cement ceremony chamber champagne chaos chapel charm
chat cheer chemical chess chew childish chill choir chorus chronic cigar cinema circus civil clarify clay client
clinic clip cloudy cluster coastal cocoa coconut coffin coincidence collapse colleague colony colorful
combination comedy commercial commission commit committee companion comparison competition complaint complex
compliment compose compound comprehensive conceal concept conclude concrete conduct conference confess confuse
congress conscious consequence conservative constant construct consult consume contact contemporary continent
contract contrast contribute convenient conversation convince cooking cope cord core corporate costume council
counter countryside courtesy coward crab cradle crane crawl creative creek crisis critic criticize crocodile
crucial cruise crumb crunch cube cucumber cuisine cultivate cure curl cushion dairy dam dancer darkness darling
dash database deadline deaf dealer debris decent decorate decrease dedicate defeat defense define definite
delight delivery democracy demonstrate dense departure deposit depress deputy deserve desire despite dessert
destination destroy detect determine devil devote diagram dictionary diligent dimension dine dinosaur diploma
disappoint disaster discipline discount disguise dismiss display dispute distinct distribute district disturb
dive diverse dock domestic dominate donate donkey doorway dough drain drawing dreadful drift drill drown drowsy
drug dull dump durable dwell dynamic earnest earthquake economy edit editor educate efficient elegant element
elementary eliminate embrace emerge emergency emotion emperor emphasis empire employ employee enable encounter
encourage endless endure enforce engage enhance ensure entertain enthusiasm entry environment episode equip
equipment era erase essay essential establish estate estimate eternal evaluate evidence evil evolve exceed
excess excitement exclude exhaust exhibit expand expansion expense experiment expose extend extent extreme
fabric fabulous facility fade faint fame famine fantasy fare farewell fasten fatal fate faucet feast feature
federal fee feeble ferry fiction finance fireplace fisherman fist flee flesh flexible flip flock fluid foam
foggy folder fond forbid forecast foreign formal format fortunate forum fossil foundation fraction fragile
fragrance freight frequent friction frighten fringe frown frozen frustrate fulfill function fund funeral furious
gallery gallon gamble gap garlic gasp gaze gear gene generate generous genius genre genuine geography gesture
giggle ginger glance glimpse globe gloomy glory glue gossip govern gown grace graceful gradual graduate grammar
grant graph grasp grave gravity grief grill grin grip groan guarantee guilty gulf habitat hallway halt handsome
harmony harsh haste hatch haunt hawk hazard headache headline heal heap heaven heel helpful herb herd heritage
hesitate highway hike hint hip historic hive holy honor hook horrible hostile household humble humid hunger
hurricane hut hymn identical identify idle illness illusion illustrate immense immigrant impact impatient imply
impress impression impulse incident income incredible index indicate individual infant infection inflation
influence inform ingredient inhabit initial injure injury ink inn innocent inquiry insist inspect inspire
install instant institute instruct insult insurance intelligent intend intense interior interpret interrupt
interval interview introduce invade invest investigate invisible involve isolate issue jealous jet jockey jog
journal joyful junk justice justify kangaroo keyboard kidney kit knit knot laboratory ladder landscape lane lap
laptop largely laser launch lawful leak lean leap lecture legend leisure lens leopard liberty license lifetime
lighten limb linen liver lizard lobby lobster location logic loyal luggage lump luxury lyric magnet magnificent
maid mammal manner mansion manual manufacture marathon margin marine marvelous mask massive mature maximum mayor
mechanic medium melt memorial mentor merchant mercy mere merit merry microphone mighty migrate military miner
mineral minimum minister minor miracle misery mission mist mixture mobile moderate modest moist molecule monitor
monster monument motion motivate mound mount mourn moustache multiply muscle mutual myth naked narrate nasty
navy negative neglect negotiate nightmare nonsense noodle notebook notion nourish novelty nuclear numerous
nursery nylon oath obey objective obligation observe obstacle obtain obvious occasion occupy occur offend
offspring ointment operate opponent oppose optimistic orchestra organic origin orphan ounce outcome outfit
outline output outstanding oval overcome overlook owe oxygen pace pamphlet panic parachute paragraph parallel
parcel pardon parliament participate particle passage passion pasta paste pastry patch patience patrol pavement
peak peanut peasant peculiar pedal peel peer penalty pension perceive permanent permit persist personal persuade
pest phase phrase physical pianist pigeon pillar pioneer pirate pity plague platform plea pledge plot plug
plumber plunge poetry polish politics poll pollution portion portrait pose possess potential pottery poverty
practical prairie precious precise predict pregnant premier premium prescribe presence preserve president
prestige pretend previous priest primary principal principle priority privacy privilege procedure proceed
process profession profile profit progress prohibit prominent promote prompt proof property proportion propose
prospect prosper protest proverb province provoke psychology publish punch punish purchase pursue quantity
quarrel quest queue quit quote racket radar rage raid rainy rally ranch random rank rate ratio realm rear rebel
recall receipt reception recognize recommend recover recruit reference reform refresh refrigerator regard
register regret regular reject relate relative release relevant relief religion reluctant rely remark remedy
remote render renew reputation require research resemble reserve resident resign resist resolve resort resource
respond restore restrict retain retire retreat reveal revenge review revise revolution rhythm riddle ridge rifle
rigid riot ripe rival roar rob robot romance romantic rotate routine rubbish rug ruin rumor rural rust sacred
sacrifice saddle sailor saint sake salary salmon sample sanction satisfy sausage scan scandal scare scatter
scenario schedule scheme scholar scope scout scramble scratch scream script sculpture seal secure segment seize
seldom select senior sensible sensitive sentiment sequence series sermon session severe sew shabby shame shark
shave shed shepherd shield shift shiver shrink shrug sibling siege sigh similar simplify sincere siren skeleton
sketch skull slave sleeve slender slogan slope slot smash sneeze soak sob sober socket solar sole solemn
solution sophisticated sorrow souvenir sow spark sparkle species spectacle spin spine splendid sponge sponsor
spray squad squeeze stadium stain stake stale stall stare startle starve statue status steep steer stem stiff
stimulate stir stitch stock stomach stool strategy strawberry stripe stroke stroll structure struggle stubborn
studio stumble submit subtle suburb suck suffer sufficient suggest suitcase sum summit superb superior supervise
supreme surgeon surround survey survive suspect suspend sustain swear sweat swell swift symbol sympathy symptom
tablet tackle tactic tag tame tangle target task tavern tease technique teenager temple tempt tenant tend tender
tension terminal terrific territory textbook texture theme theory therapy thorough thrill thrive tick tide
timber timid tissue tolerate toll tomb torch tornado tortoise tournament tow trace tractor tradition tragedy
trail transfer transform translate transport trap tray tremble trend trial triangle tribe tribute trim triumph
trophy tropical trumpet trunk tube tuition tumble tutor twig twist typical ultimate unable uncover undergo
underline unfair unique unite unity universal unknown unless unlike unusual update upgrade urban urge urgent
utility utter vacant vacuum vague vain valid vanish vapor variety vast vehicle venture verb verdict verse
version vessel veteran vibrate victim vigorous villain vinegar virtue visible vision vital vivid vocabulary
volunteer vowel voyage warrior wax weapon weave weed welfare whip whirl widow width wilderness willing wisdom
wit witness wizard wobble workshop worm worship wound wreck wrestle wrist yawn yield youthful zeal zigzag walked
talked jumped played looked opened closed wanted needed liked loved moved lived helped asked called turned
started stopped worked watched cooked cleaned painted danced laughed smiled cried rained snowed walking talking
jumping playing looking opening reading writing singing running swimming sleeping eating drinking thinking
dreaming waiting walks talks jumps plays looks opens reads writes sings runs swims sleeps eats drinks thinks
dreams waits went came saw took made said told gave found knew felt kept held brought began became ran wrote
spoke ate drank slept sang swam flew drew grew threw caught taught bought fought sold sent spent built stood
understood forgot chose rode broke woke wore houses trees birds dogs cats books friends hands eyes days years
things words stories apples flowers cars roads rivers mountains clouds stars waves boats doors windows gardens
children men women songs games hours minutes weeks months places cities towns streets rooms tables chairs cups
plates happily slowly quietly loudly softly gently carefully suddenly simply clearly brightly warmly kindly
bravely proudly sadly calmly sweetly wisely freely deeply highly
`;

/** The demo vocabulary's words, deduplicated, in the order above. */
export const englishWords: readonly string[] = [...new Set(text.split(/\s+/).filter((word) => word !== ""))];
